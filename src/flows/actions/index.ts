import type { ActionType } from '../definition/flow-definition.js'
import type { ActionHandler } from './action-context.js'
import { compose, delay, terminate } from './basic-actions.js'
import { createItem, getItem, getItems, updateItem } from './connector-actions.js'
import { sendEmail } from './email-action.js'
import { sendHttp } from './http-action.js'
import { postTeamsMessage } from './teams-action.js'

export type { ActionContext, ActionHandler } from './action-context.js'
export { type SmtpSettings, sendThroughSmtp, smtpSettingsSchema } from './email-action.js'
export { checkOutboundUrl } from './outbound-url.js'
export { textCard } from './teams-action.js'

/** The handler of each action type that is not control flow (condition and foreach are the engine's). */
export const ACTION_HANDLERS: Partial<Record<ActionType, ActionHandler>> = {
  http: sendHttp as ActionHandler,
  'teams.postMessage': postTeamsMessage as ActionHandler,
  'email.send': sendEmail as ActionHandler,
  compose: compose as ActionHandler,
  delay: delay as ActionHandler,
  terminate: terminate as ActionHandler,
  'connector.getItems': getItems as ActionHandler,
  'connector.getItem': getItem as ActionHandler,
  'connector.createItem': createItem as ActionHandler,
  'connector.updateItem': updateItem as ActionHandler,
}
