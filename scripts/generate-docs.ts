// `npm run docs`: writes the documentation pages derived from code.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { eventsDoc } from '../src/events/triggers/events-doc.js'

const root = join(import.meta.dirname, '..')
writeFileSync(join(root, 'docs', 'events.md'), eventsDoc())
process.stdout.write('wrote docs/events.md\n')
