/**
 * The layers of src/ and the directions dependencies may point (checked in `npm test`).
 * Lower layers know nothing of higher ones; modules of one layer's folders may not import each
 * other's folders unless listed in PEERS. Tests (*.test.ts) are exempt.
 */
const LAYERS = [
  ['errors.ts', 'ids.ts', 'names.ts', 'process-alive.ts', 'poller.ts'],
  ['secrets', 'outbound'],
  ['store'],
  ['query'],
  ['jobs', 'events'],
  ['pipeline'],
  ['connector', 'flows'],
  ['config', 'demo'],
  ['runtime'],
  ['server'],
  ['cli'],
]

const folder = (name) => (name.endsWith('.ts') ? `^src/${name.replace('.', '\\.')}$` : `^src/${name}/`)
const any = (names) => `(${names.map(folder).join('|')})`
const notTest = '\\.test\\.ts$'

const layerRules = LAYERS.flatMap((layer, index) => {
  const above = LAYERS.slice(index + 1).flat()
  const rules = []
  if (above.length)
    rules.push({
      name: `layer-${index}-not-up`,
      comment: `${layer.join(', ')} may not depend on a layer above it (${above.join(', ')})`,
      severity: 'error',
      from: { path: any(layer), pathNot: notTest },
      to: { path: any(above) },
    })
  // Folders of one layer are peers: none depends on another (single files below are shared).
  for (const one of layer.filter((name) => !name.endsWith('.ts')))
    for (const other of layer)
      if (one !== other && !other.endsWith('.ts'))
        rules.push({
          name: `peers-${one}-${other}`,
          comment: `${one} and ${other} are peers in one layer: neither may depend on the other`,
          severity: 'error',
          from: { path: folder(one), pathNot: notTest },
          to: { path: folder(other) },
        })
  return rules
})

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-circular',
      comment: 'No import cycles between modules',
      severity: 'error',
      from: { path: '^src/', pathNot: notTest },
      to: { circular: true },
    },
    {
      name: 'web-over-http-only',
      comment: 'The web UI reaches data only over HTTP: it imports nothing from src/',
      severity: 'error',
      from: { path: '^web/src/', pathNot: notTest },
      to: { path: '^src/' },
    },
    {
      name: 'duckdb-through-query',
      comment:
        'DuckDB is reached only through src/query (SqlSession runs SQL built with sql``): no other module opens a raw connection',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/query/duckdb\\.ts$' },
      to: { path: '(^|/)node_modules/@duckdb/' },
    },
    {
      name: 'src-not-test',
      comment: 'Product code does not import test helpers',
      severity: 'error',
      from: { path: '^src/', pathNot: notTest },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: require('node:path').join(__dirname, 'tsconfig.json') },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js'] },
  },
}
