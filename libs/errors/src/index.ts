export { UserError, isUserError } from './user-error.ts';
export { describeIssue, showValue, showPath, closest } from './zod-issue.ts';
