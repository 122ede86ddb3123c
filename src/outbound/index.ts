export {
  type AddressVerdict,
  judgeAddress,
  type OutboundPolicy,
  PUBLIC_ONLY,
  parseOutboundAllow,
} from './address-policy.js'
export { OutboundGuard, OutboundRefused, type Resolver, systemResolver } from './outbound-guard.js'
