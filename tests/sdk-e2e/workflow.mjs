// The whole Reducto workflow through the official SDK (reductoai 0.16.0), pointed at the gateway with a team's
// gateway key and nothing else. Run by Gateway.Tests.Sdk.ReductoSdkEndToEndTests; prints one JSON line on stdout.
//   GATEWAY_URL, GATEWAY_KEY  required
//   MODE=badkey               expect the gateway to refuse the key with the SDK's AuthenticationError
//   MODE=wait                 start a job and wait for it with one job.get carrying Prefer: wait
//   MODE=slowcreate           start a job with timeout 600 ms and maxRetries 3 while the stand-in takes ~1 s to create
//                             it (x-standin-delay-ms): the SDK's retries must get the one job the first attempt made
import Reducto, { toFile } from 'reductoai';

const MAX_POLLS = 60;
const POLL_DELAY_MS = 250;

const { GATEWAY_URL, GATEWAY_KEY, MODE = 'workflow' } = process.env;
if (!GATEWAY_URL || !GATEWAY_KEY) {
  fail('GATEWAY_URL and GATEWAY_KEY must be set');
}

const client = new Reducto({ apiKey: GATEWAY_KEY, baseURL: GATEWAY_URL, maxRetries: 2, timeout: 30000 });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function fail(message, extra = {}) {
  console.log(JSON.stringify({ ok: false, mode: MODE, error: message, ...extra }));
  process.exit(1);
}

async function workflow() {
  // Small and in memory: the gateway streams the multipart body through; the bytes need not be a real PDF.
  const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
  const upload = await client.upload({ file: await toFile(pdf, 'sample.pdf', { type: 'application/pdf' }) });

  const { job_id: jobId } = await client.parse.runJob({ input: upload.file_id });
  let status;
  let polls = 0;
  while (polls < MAX_POLLS) {
    polls++;
    ({ status } = await client.job.get(jobId));
    if (status === 'Completed' || status === 'Failed') break;
    await sleep(POLL_DELAY_MS);
  }

  if (status !== 'Completed') {
    fail(`job ${jobId} ended as ${status} after ${polls} polls`);
  }

  // A second job, cancelled while still pending: the gateway must forward POST /cancel with the server key.
  const { job_id: doomed } = await client.parse.runJob({ input: upload.file_id });
  await client.job.cancel(doomed);

  const list = await client.job.getAll({ limit: 10 });
  return { ok: true, mode: MODE, uploaded: upload.file_id, jobId, cancelledJobId: doomed, finalStatus: status,
    polls, listed: list.jobs.length, cancelled: true };
}

async function badKey() {
  try {
    await client.job.get('x');
  } catch (error) {
    if (error instanceof Reducto.AuthenticationError && error.status === 401) {
      return { ok: true, mode: MODE, error: error.constructor.name, status: error.status };
    }

    throw error;
  }

  fail('job.get succeeded with a wrong gateway key');
}

async function longPoll() {
  const { job_id: jobId } = await client.parse.runJob({ input: 'https://example.com/sample.pdf' });
  const started = Date.now();
  // The SDK passes per-request headers through unchanged: one call instead of a polling loop.
  const { data, response } = await client.job.get(jobId, { headers: { Prefer: 'wait=20' } }).withResponse();
  return { ok: true, mode: MODE, jobId, finalStatus: data.status, waitedMs: Date.now() - started,
    preferenceApplied: response.headers.get('preference-applied') };
}

async function slowCreate() {
  // The story of issue #25: every attempt times out before Reducto answers and is retried with the same body.
  const impatient = new Reducto({ apiKey: GATEWAY_KEY, baseURL: GATEWAY_URL, maxRetries: 3, timeout: 600,
    defaultHeaders: { 'x-standin-delay-ms': '1000' } });
  const started = Date.now();
  const { data, response } = await impatient.parse
    .runJob({ input: `https://example.com/${Date.now()}-${Math.random()}.pdf` })
    .withResponse();
  return { ok: true, mode: MODE, jobId: data.job_id, tookMs: Date.now() - started,
    replayed: response.headers.get('idempotent-replayed') };
}

const modes = { workflow, badkey: badKey, wait: longPoll, slowcreate: slowCreate };
try {
  console.log(JSON.stringify(await (modes[MODE] ?? workflow)()));
} catch (error) {
  fail(error?.message ?? String(error), { errorClass: error?.constructor?.name, status: error?.status });
}
