// The whole Reducto workflow through the official SDK (reductoai 0.16.0), pointed at the gateway with a team's
// gateway key and nothing else. Run by Gateway.Tests.Sdk.ReductoSdkEndToEndTests; prints one JSON line on stdout.
//   GATEWAY_URL, GATEWAY_KEY  required
//   MODE=badkey               expect the gateway to refuse the key with the SDK's AuthenticationError
//   MODE=wait                 start a job and wait for it with one job.get carrying Prefer: wait
//   MODE=otherteam            team A (GATEWAY_KEY) uploads and runs a job; team B (GATEWAY_KEY_B) must get the SDK's
//                             NotFoundError for A's job and file, exactly as for ids that do not exist
//   MODE=slowcreate           start a job with timeout 600 ms and maxRetries 3 while the stand-in takes ~1 s to create
//                             it (x-standin-delay-ms): the SDK's retries must get the one job the first attempt made
import Reducto, { toFile } from 'reductoai';

const MAX_POLLS = 60;
const POLL_DELAY_MS = 250;

const { GATEWAY_URL, GATEWAY_KEY, GATEWAY_KEY_B, MODE = 'workflow' } = process.env;
if (!GATEWAY_URL || !GATEWAY_KEY) {
  fail('GATEWAY_URL and GATEWAY_KEY must be set');
}

// Every request names its client, so the test can tell which team's calls reached Reducto.
const connect = (apiKey, team) => new Reducto({ apiKey, baseURL: GATEWAY_URL, maxRetries: 2, timeout: 30000,
  defaultHeaders: { 'x-e2e-client': team } });
const client = connect(GATEWAY_KEY, 'team-a');
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

// What the SDK raised for one call that must fail as "not found"; anything else is reported as it is.
async function refusal(call) {
  try {
    await call();
  } catch (error) {
    return { error: error?.constructor?.name, status: error?.status, notFound: error instanceof Reducto.NotFoundError,
      type: error?.error?.type ?? null, body: JSON.stringify(error?.error ?? null) };
  }

  return { error: null, status: null, notFound: false, succeeded: true };
}

async function otherTeam() {
  if (!GATEWAY_KEY_B) {
    fail('MODE=otherteam needs GATEWAY_KEY_B');
  }

  const teamB = connect(GATEWAY_KEY_B, 'team-b');
  const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
  const upload = await client.upload({ file: await toFile(pdf, 'sample.pdf', { type: 'application/pdf' }) });
  const { job_id: jobId } = await client.parse.runJob({ input: upload.file_id });
  const first = await client.job.get(jobId);

  const teamBFrom = Date.now();
  const refused = {
    get: await refusal(() => teamB.job.get(jobId)),
    cancel: await refusal(() => teamB.job.cancel(jobId)),
    parseFile: await refusal(() => teamB.parse.runJob({ input: upload.file_id })),
    parseJob: await refusal(() => teamB.parse.runJob({ input: `jobid://${jobId}` })),
    // The answer for an id nobody created, to compare with the answer for A's.
    getUnknown: await refusal(() => teamB.job.get('00000000-0000-4000-8000-000000000000')),
  };
  const teamBTo = Date.now();
  const bad = Object.entries(refused).filter(([, r]) => !r.notFound || r.status !== 404);
  if (bad.length > 0) {
    fail('team B was not refused with NotFoundError (404)', { jobId, refused });
  }

  const again = await client.job.get(jobId);
  return { ok: true, mode: MODE, uploaded: upload.file_id, jobId, firstStatus: first.status, ownStatusAfter: again.status,
    refused, teamBFrom, teamBTo };
}

async function slowCreate() {
  // The story of issue #25: every attempt times out before Reducto answers and is retried with the same body.
  const impatient = new Reducto({ apiKey: GATEWAY_KEY, baseURL: GATEWAY_URL, maxRetries: 3, timeout: 600,
    defaultHeaders: { 'x-e2e-client': 'team-a', 'x-standin-delay-ms': '1000' } });
  const started = Date.now();
  const { data, response } = await impatient.parse
    .runJob({ input: `https://example.com/${Date.now()}-${Math.random()}.pdf` })
    .withResponse();
  return { ok: true, mode: MODE, jobId: data.job_id, tookMs: Date.now() - started,
    replayed: response.headers.get('idempotent-replayed') };
}

const modes = { workflow, badkey: badKey, wait: longPoll, otherteam: otherTeam, slowcreate: slowCreate };
try {
  console.log(JSON.stringify(await (modes[MODE] ?? workflow)()));
} catch (error) {
  fail(error?.message ?? String(error), { errorClass: error?.constructor?.name, status: error?.status });
}
