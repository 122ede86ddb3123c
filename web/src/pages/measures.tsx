import { useState } from 'react'
import { instancePath } from '../api'
import { Async, Empty, LineChart, PageHeader, TableHead } from '../components'
import { formatCount } from '../format'
import { useApi, useInstance } from '../hooks'

interface Measure {
  name: string
  definition: {
    description?: string
    kind: string
    entity: string
    aggregation: string
    column?: string
    groupBy?: string
    thresholds: number[]
  }
  latest: { dimension: string | null; value: number }[]
}

export default function Measures() {
  const instanceId = useInstance()
  const measures = useApi<{ value: Measure[] }>(instancePath(instanceId, '/measures'))
  const [selected, setSelected] = useState<string>()
  return (
    <>
      <PageHeader
        title="Measures"
        subtitle="Business-level and customer-level numbers, recomputed after each unification."
      />
      <Async loaded={measures}>
        {(m) =>
          m.value.length === 0 ? (
            <Empty>No measures yet: add a measures section to openinsights.yaml.</Empty>
          ) : (
            <table>
              <TableHead columns={['Name', 'Kind', 'Definition', 'Latest value', 'Thresholds']} />
              <tbody>
                {m.value.map((measure) => (
                  <tr key={measure.name} className={selected === measure.name ? 'selected' : ''}>
                    <td>
                      <button type="button" className="link" onClick={() => setSelected(measure.name)}>
                        {measure.name}
                      </button>
                      {measure.definition.description && (
                        <div className="muted">{measure.definition.description}</div>
                      )}
                    </td>
                    <td>{measure.definition.kind}</td>
                    <td>
                      {measure.definition.aggregation}({measure.definition.column ?? '*'}) of{' '}
                      {measure.definition.entity}
                      {measure.definition.groupBy && ` by ${measure.definition.groupBy}`}
                    </td>
                    <td className="num">
                      {measure.definition.kind === 'customer'
                        ? 'per customer'
                        : measure.latest
                            .map((l) => `${l.dimension ? `${l.dimension}: ` : ''}${formatCount(l.value)}`)
                            .join(', ') || '—'}
                    </td>
                    <td>{measure.definition.thresholds.map((t) => formatCount(t)).join(', ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Async>
      {selected && <History kind="measures" name={selected} />}
    </>
  )
}

export function History({ kind, name }: { kind: 'measures' | 'segments'; name: string }) {
  const instanceId = useInstance()
  const history = useApi<{ value: { dimension: string | null; value: number; computedAt: string }[] }>(
    instancePath(instanceId, `/${kind}/${encodeURIComponent(name)}/history`),
  )
  return (
    <section aria-labelledby="history-title">
      <h2 id="history-title">{name} over time</h2>
      <Async loaded={history}>
        {(h) => (
          <LineChart
            label={`${name} over time`}
            points={h.value
              .filter((p) => p.dimension === null || p.dimension === h.value[0]?.dimension)
              .map((p) => ({ at: p.computedAt, value: p.value }))
              .sort((a, b) => a.at.localeCompare(b.at))}
          />
        )}
      </Async>
    </section>
  )
}
