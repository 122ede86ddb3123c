/**
 * Ready-made flows for the original's two stories: a Teams message when a data source refresh
 * fails, and an email to the data owners when a segment crosses a threshold. Installing one
 * seals its secrets (the webhook URL) and stores an ordinary flow a person can then edit.
 */
import { AppError } from '../errors.js'
import type { SecretBox } from '../secrets/index.js'
import type { DbOrTx } from '../store/database.js'
import { listFlows } from '../store/flows.js'
import { getInstance } from '../store/instances.js'
import { putSecret } from '../store/secrets.js'
import type { FlowDefinitionInput } from './definition/flow-definition.js'
import { saveFlow } from './flow-service.js'

export interface FlowTemplate {
  id: string
  title: string
  description: string
  defaultName: string
  parameters: Record<string, { description: string; required: boolean; secret?: boolean; number?: boolean }>
  definition(
    values: Record<string, string>,
    secretName: (parameter: string) => string,
    /** The instance by the name people know it by (ids mean nothing in a message). */
    instance: { id: string; name: string },
  ): FlowDefinitionInput
}

const fact = (title: string, value: string) => ({ title, value })
/** Text that goes into a definition as is: an `@` that would start an expression is doubled. */
const literalText = (text: string) => (text.startsWith('@') ? `@${text}` : text)
const htmlEscape = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')

export const FLOW_TEMPLATES: FlowTemplate[] = [
  {
    id: 'teams-on-refresh-failure',
    title: 'Post to a Teams channel when a data source refresh fails',
    description: 'An Adaptive Card naming the data source, the error and when it happened.',
    defaultName: 'Teams on refresh failure',
    parameters: {
      webhookUrl: {
        description: "The channel's incoming-webhook or Workflows URL (kept sealed)",
        required: true,
        secret: true,
      },
      dataSourceName: { description: 'Only this data source (all when empty)', required: false },
    },
    definition: (values, secretName, instance) => ({
      description: 'Posts to Teams when a data source refresh fails',
      trigger: {
        type: 'datasource.refresh.failed',
        parameters: values.dataSourceName ? { dataSourceName: values.dataSourceName } : {},
      },
      actions: {
        Post_message: {
          type: 'teams.postMessage',
          inputs: {
            webhookUrl: `@secret('${secretName('webhookUrl')}')`,
            card: {
              $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
              type: 'AdaptiveCard',
              version: '1.4',
              body: [
                {
                  type: 'TextBlock',
                  text: "Refresh of @{triggerBody()?['dataSourceName']} failed",
                  weight: 'Bolder',
                  size: 'Medium',
                  color: 'Attention',
                  wrap: true,
                },
                { type: 'TextBlock', text: "@{triggerBody()?['error']?['message']}", wrap: true },
                {
                  type: 'FactSet',
                  facts: [
                    fact('Data source', "@{triggerBody()?['dataSourceName']}"),
                    fact('Error', "@{triggerBody()?['error']?['code']}"),
                    fact('Instance', literalText(instance.name)),
                    fact('When', "@{formatDateTime(triggerBody()?['completedAt'], 'yyyy-MM-dd HH:mm')} UTC"),
                    fact('Refresh', "@{triggerBody()?['refreshId']}"),
                  ],
                },
              ],
            },
          },
        },
      },
    }),
  },
  {
    id: 'email-on-segment-threshold',
    title: 'Email the data owners when a segment crosses a threshold',
    description: "An email with the segment's name, its member count before and after, and the threshold.",
    defaultName: 'Email on segment threshold',
    parameters: {
      to: { description: 'Recipients, separated by ; or ,', required: true },
      segment: { description: 'The segment to watch', required: true },
      threshold: { description: 'The member count that fires it', required: true, number: true },
      direction: { description: 'up (default), down or both', required: false },
    },
    definition: (values, _secretName, instance) => ({
      description: 'Emails the data owners when a segment crosses a threshold',
      trigger: {
        type: 'segment.threshold.crossed',
        parameters: {
          segmentName: values.segment,
          threshold: Number(values.threshold),
          direction: values.direction || 'up',
        },
      },
      actions: {
        ...joinedMembers(values.segment as string),
        Send_email: {
          type: 'email.send',
          runAfter: { Joined_table: ['Succeeded'] },
          inputs: {
            to: values.to,
            subject:
              "Segment @{triggerBody()?['name']} went @{triggerBody()?['direction']} past @{triggerBody()?['threshold']} members",
            body: [
              "<h2>Segment @{triggerBody()?['name']}</h2>",
              "<p>It now has <b>@{formatNumber(triggerBody()?['value'], 'N0')}</b> members",
              "(before: @{if(equals(triggerBody()?['previousValue'], null), 'none', formatNumber(triggerBody()?['previousValue'], 'N0'))}),",
              "crossing the threshold of @{triggerBody()?['threshold']} going @{triggerBody()?['direction']}.</p>",
              JOINED_SECTION,
              `<p>In ${htmlEscape(literalText(instance.name))}, at the refresh that ended @{formatDateTime(utcNow(), 'yyyy-MM-dd HH:mm')} UTC.</p>`,
            ].join('\n'),
          },
        },
      },
    }),
  },
  {
    id: 'daily-segment-digest',
    title: 'Email a daily digest of a segment',
    description:
      'Every day at the hour you choose: the segment’s member count and a table of the members who joined at its last refresh.',
    defaultName: 'Daily segment digest',
    parameters: {
      to: { description: 'Recipients, separated by ; or ,', required: true },
      segment: { description: 'The segment to report on', required: true },
      hour: {
        description: 'The hour of the day to send it, 0–23 (8 when empty)',
        required: false,
        number: true,
      },
      timeZone: {
        description:
          'The time zone of that hour, a Windows name such as W. Europe Standard Time (UTC when empty)',
        required: false,
      },
    },
    definition: (values, _secretName, instance) => ({
      description: 'Emails a daily digest of a segment',
      trigger: {
        type: 'Recurrence',
        recurrence: {
          frequency: 'Day',
          interval: 1,
          ...(values.timeZone ? { timeZone: values.timeZone } : {}),
          schedule: { hours: [values.hour ? Number(values.hour) : 8], minutes: [0] },
        },
      },
      actions: {
        Count_members: {
          type: 'connector.getItems',
          inputs: { entity: segmentEntity(values.segment as string), $top: 1, $count: true },
        },
        ...joinedMembers(values.segment as string, { Count_members: ['Succeeded'] }),
        Send_email: {
          type: 'email.send',
          runAfter: { Joined_table: ['Succeeded'] },
          inputs: {
            to: values.to,
            subject: `Segment ${literalText(values.segment as string)}: @{formatNumber(body('Count_members')?['@odata.count'], 'N0')} members`,
            body: [
              `<h2>Segment ${htmlEscape(literalText(values.segment as string))}</h2>`,
              "<p><b>@{formatNumber(body('Count_members')?['@odata.count'], 'N0')}</b> members on @{formatDateTime(triggerBody()?['scheduledTime'], 'D')}.</p>",
              JOINED_SECTION,
              `<p>From ${htmlEscape(literalText(instance.name))}.</p>`,
            ].join('\n'),
          },
        },
      },
    }),
  },
]

/** The entity a segment publishes its members in. */
const segmentEntity = (segment: string) => `Segment${segment}`

/**
 * Get the members a segment gained at its last refresh (the first 100) and make an HTML table of
 * them: Get items with changes = added, then Create HTML table.
 */
function joinedMembers(segment: string, runAfter: Record<string, ['Succeeded']> = {}) {
  return {
    Get_joined_members: {
      type: 'connector.getItems' as const,
      runAfter,
      inputs: { entity: segmentEntity(segment), changes: 'added' as const, $top: 100, $count: true },
    },
    Joined_table: {
      type: 'table' as const,
      runAfter: { Get_joined_members: ['Succeeded' as const] },
      inputs: { from: "@body('Get_joined_members')?['value']", format: 'HTML' },
    },
  }
}

const JOINED_SECTION = [
  "<h3>@{formatNumber(body('Get_joined_members')?['@odata.count'], 'N0')} joined at the last refresh</h3>",
  "@{if(empty(body('Get_joined_members')?['value']), '<p>Nobody joined.</p>', body('Joined_table'))}",
  "@{if(greater(body('Get_joined_members')?['@odata.count'], 100), '<p>The first 100 are shown.</p>', '')}",
].join('\n')

/**
 * Installs a template as a new flow with the given values (`--set name=value`). Without a name it
 * takes the template's, numbered when taken ("Email on segment threshold 2"); a name that is taken
 * is refused unless `replace` says to replace that flow.
 */
export async function installTemplate(
  db: DbOrTx,
  box: SecretBox,
  instanceId: string,
  templateId: string,
  values: Record<string, string>,
  name?: string,
  options: { replace?: boolean } = {},
) {
  const template = FLOW_TEMPLATES.find((t) => t.id === templateId)
  if (!template)
    throw new AppError(
      'UnknownTemplate',
      `no template '${templateId}'; templates: ${FLOW_TEMPLATES.map((t) => t.id).join(', ')}`,
      {
        target: 'template',
      },
    )
  for (const key of Object.keys(values))
    if (!(key in template.parameters))
      throw new AppError(
        'UnknownParameter',
        `${templateId} has no parameter '${key}'; it takes ${Object.keys(template.parameters).join(', ')}`,
        { target: key },
      )
  for (const [key, parameter] of Object.entries(template.parameters)) {
    if (parameter.required && !values[key])
      throw new AppError(
        'MissingParameter',
        `${templateId} needs ${key}: ${parameter.description}; add --set ${key}=…`,
        { target: key },
      )
    if (parameter.number && values[key] !== undefined && !Number.isFinite(Number(values[key])))
      throw new AppError('InvalidParameter', `${key} must be a number, not '${values[key]}'`, { target: key })
  }
  const taken = new Set((await listFlows(db, instanceId)).map((flow) => flow.name))
  let flowName = name ?? template.defaultName
  if (name === undefined) for (let n = 2; taken.has(flowName); n++) flowName = `${template.defaultName} ${n}`
  else if (taken.has(name) && !options.replace)
    throw new AppError(
      'FlowExists',
      `a flow named '${name}' exists; choose another name, or replace it (--replace, or "replace": true)`,
      { target: 'name' },
    )
  const secretName = (parameter: string) => `flow:${flowName}:${parameter}`
  for (const [key, parameter] of Object.entries(template.parameters))
    if (parameter.secret && values[key])
      await putSecret(db, instanceId, secretName(key), box.seal(values[key] as string))
  const saved = await saveFlow(
    db,
    instanceId,
    flowName,
    template.definition(values, secretName, {
      id: instanceId,
      name: (await getInstance(db, instanceId))?.name ?? instanceId,
    }),
    `template:${template.id}`,
  )
  return { name: flowName, ...saved }
}
