export { hashPassword, verifyPassword } from './passwords.js'
export {
  createSetupToken,
  SESSION_COOKIE,
  SESSION_DAYS,
  type SessionUser,
  sessionUser,
  setUpAdmin,
  setupNeeded,
  signIn,
  signOut,
} from './web-sessions.js'
