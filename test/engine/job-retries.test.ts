import { brand, deployFixtures, startEngineHarness, type EngineHarness } from '../fixtures/engine';
import {
  jobsOf,
  startInstance,
  waitForIncident,
  waitForInstance,
} from '../fixtures/engine-queries';

/** What a handler saw of one delivery of a job. */
interface Delivery {
  jobKey: string;
  retries: number;
  at: number;
  errorMessage?: string;
}

describe('job failure with retries left', () => {
  let h: EngineHarness;
  beforeAll(async () => {
    h = await startEngineHarness({ timerIntervalMs: 100 });
    await deployFixtures(h, 'job-retry.bpmn');
  });
  afterEach(() => {
    h.client.stopAllWorkers();
  });
  afterAll(async () => {
    await h.close();
  });

  /** The error message the engine keeps on a job, as the job search shows it. */
  async function errorMessageOf(processInstanceKey: string, jobKey: string) {
    const job = (await jobsOf(h, processInstanceKey)).find((j) => String(j.jobKey) === jobKey);
    return job?.errorMessage ?? undefined;
  }

  it('should hand the job out again under a new key with fewer retries after the back-off', async () => {
    // given
    const deliveries: Delivery[] = [];
    let failedAt = 0;
    h.client.createJobWorker({
      jobType: 'unstable-backoff',
      jobTimeoutMs: 30_000,
      maxParallelJobs: 1,
      jobHandler: async (job) => {
        deliveries.push({
          jobKey: String(job.jobKey),
          retries: job.retries,
          at: Date.now(),
          errorMessage: await errorMessageOf(String(job.processInstanceKey), String(job.jobKey)),
        });
        if (deliveries.length > 1) return job.complete({ answered: true });
        failedAt = Date.now();
        return job.fail({
          errorMessage: 'try again later',
          retries: job.retries - 1,
          retryBackOff: 500,
        });
      },
    });

    // when
    const key = await startInstance(h, 'job-retry', { jobType: 'unstable-backoff' });

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect(deliveries.map((d) => d.retries)).toEqual([3, 2]);
    expect(deliveries[1]!.jobKey).not.toBe(deliveries[0]!.jobKey);
    expect(deliveries[1]!.errorMessage).toBe('try again later');
    // the back-off is a lower bound: the job is not handed out before it has passed
    expect(deliveries[1]!.at - failedAt).toBeGreaterThanOrEqual(500);
  });

  it('should fail the job for a handler that throws, keeping the decremented retries', async () => {
    // given
    const deliveries: Delivery[] = [];
    h.client.createJobWorker({
      jobType: 'unstable-throws',
      jobTimeoutMs: 30_000,
      maxParallelJobs: 1,
      jobHandler: async (job) => {
        deliveries.push({
          jobKey: String(job.jobKey),
          retries: job.retries,
          at: Date.now(),
          errorMessage: await errorMessageOf(String(job.processInstanceKey), String(job.jobKey)),
        });
        if (deliveries.length === 1) throw new Error('handler exploded');
        return job.complete();
      },
    });

    // when
    const key = await startInstance(h, 'job-retry', { jobType: 'unstable-throws' });

    // then
    await waitForInstance(h, key, 'COMPLETED');
    expect(deliveries.map((d) => [d.retries, d.errorMessage])).toEqual([
      [3, undefined],
      [2, 'handler exploded'],
    ]);
    expect(new Set(deliveries.map((d) => d.jobKey)).size).toBe(2);
  });

  it('should raise an incident once a throwing handler has used up the retries', async () => {
    // given
    const deliveries: number[] = [];
    h.client.createJobWorker({
      jobType: 'always-throws',
      jobTimeoutMs: 30_000,
      maxParallelJobs: 1,
      jobHandler: (job) => {
        deliveries.push(job.retries);
        throw new Error(`attempt ${deliveries.length} exploded`);
      },
    });

    // when
    const key = await startInstance(h, 'job-retry', { jobType: 'always-throws' });

    // then
    const incident = await waitForIncident(h, key);
    expect(incident).toMatchObject({
      errorType: 'JOB_NO_RETRIES',
      errorMessage: 'attempt 3 exploded',
      elementId: 'CallUnstableService',
    });
    expect(deliveries).toEqual([3, 2, 1]);
    const instance = await h.client.getProcessInstance(
      { processInstanceKey: brand(key) },
      { consistency: { waitUpToMs: 0 } },
    );
    expect(instance).toMatchObject({ state: 'ACTIVE', hasIncident: true });
  });
});
