export {
  DEFAULT_QUEUE_POLICIES,
  deadLetterQueue,
  type Job,
  type JobDataByQueue,
  type JobQueue,
  type QueueName,
  type QueuePolicy,
  startJobQueue,
} from './job-queue.js'
export { JobWatchdogError, type Watch, type WatchdogLimits, watched } from './watchdog.js'
