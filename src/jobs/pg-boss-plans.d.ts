// pg-boss ships no types for its statement builders; these two are the ones src/jobs/queue.ts reads.
declare module 'pg-boss/src/plans.js' {
  const plans: {
    completeJobs(schema: string): string;
    failJobsById(schema: string): string;
  };
  export default plans;
}
