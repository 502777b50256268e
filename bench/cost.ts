// `npm run bench:cost`: the AWS bill per million flows, from the calls `npm run bench:calls` counted per request
// (bench-results/calls.json) and the us-east-1 list prices below. Lambda is billed at the duration measured locally
// and, as a second estimate, with typical service latencies added, since a deployed handler waits on the network.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { handlerAccess } from '../lib/private/handler-access.js';

/**
 * us-east-1 list prices, as published when checked on 2026-11-29 (aws.amazon.com/api-gateway/pricing, /lambda/pricing,
 * /dynamodb/pricing/on-demand, /kms/pricing); first tier only, free tiers ignored.
 */
const PRICES = {
  /** REST API, first 333 million requests a month. */
  apiGatewayRestPerRequest: 3.5 / 1e6,
  lambdaPerRequest: 0.2 / 1e6,
  /** Arm (Graviton), first 7.5 billion GB-seconds a month. */
  lambdaArmPerGbSecond: 0.0000133334,
  /** On-demand, since the November 2024 reduction. */
  dynamoDbPerWriteRequestUnit: 0.625 / 1e6,
  dynamoDbPerReadRequestUnit: 0.125 / 1e6,
  /** Requests involving RSA 2048 keys (the RS256 and PS256 key spec); other asymmetric keys (ES256) cost $0.15. */
  kmsRsa2048PerRequest: 0.03 / 1e4,
} as const;

/** Assumed in-region latencies for the second estimate: a DynamoDB request and a KMS Sign. */
const LATENCY_MS = { dynamodb: 5, kmsSign: 15 } as const;

interface CallsReport {
  readonly date: string;
  readonly steps: Record<
    string,
    { readonly handler: keyof typeof handlerAccess; readonly ms: number; readonly calls: Record<string, number> }
  >;
  readonly flows: Record<string, readonly string[]>;
}

const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'bench-results', 'calls.json');
let report: CallsReport;
try {
  report = JSON.parse(readFileSync(file, 'utf8')) as CallsReport;
} catch {
  console.error(`No ${file}: run \`npm run bench:calls\` first.`);
  process.exit(1);
}

const DYNAMO_COMMANDS = ['GetItem', 'BatchGetItem', 'Query', 'Scan', 'PutItem', 'UpdateItem', 'DeleteItem'];
const dynamoRequests = (calls: Record<string, number>) =>
  Object.entries(calls)
    .filter(([k]) => DYNAMO_COMMANDS.includes(k) || k.startsWith('Transact'))
    .reduce((sum, [, v]) => sum + v, 0);

interface Cost {
  apiGateway: number;
  lambda: number;
  lambdaWithLatency: number;
  dynamodb: number;
  kms: number;
}

function flowCost(steps: readonly string[]): Cost & { requests: number; wru: number; rru: number; signs: number } {
  const c = {
    apiGateway: 0,
    lambda: 0,
    lambdaWithLatency: 0,
    dynamodb: 0,
    kms: 0,
    requests: 0,
    wru: 0,
    rru: 0,
    signs: 0,
  };
  for (const name of steps) {
    const step = report.steps[name];
    if (!step) throw new Error(`calls.json has no step ${name}`);
    const gb = (handlerAccess[step.handler].memorySize ?? 512) / 1024;
    const sign = step.calls.Sign ?? 0;
    const wru = step.calls.WRU ?? 0;
    const rru = step.calls.RRU ?? 0;
    // Lambda bills whole milliseconds.
    const billed = (ms: number) => Math.ceil(ms) / 1000;
    const waiting = dynamoRequests(step.calls) * LATENCY_MS.dynamodb + sign * LATENCY_MS.kmsSign;
    c.requests++;
    c.wru += wru;
    c.rru += rru;
    c.signs += sign;
    c.apiGateway += PRICES.apiGatewayRestPerRequest;
    c.lambda += PRICES.lambdaPerRequest + billed(step.ms) * gb * PRICES.lambdaArmPerGbSecond;
    c.lambdaWithLatency += PRICES.lambdaPerRequest + billed(step.ms + waiting) * gb * PRICES.lambdaArmPerGbSecond;
    c.dynamodb += wru * PRICES.dynamoDbPerWriteRequestUnit + rru * PRICES.dynamoDbPerReadRequestUnit;
    c.kms += sign * PRICES.kmsRsa2048PerRequest;
  }
  return c;
}

const M = 1e6;
const usd = (n: number) => `$${n.toFixed(2)}`.padStart(9);
console.log(`AWS cost per million flows, us-east-1 list prices of 2026-11-29; calls counted ${report.date}.`);
console.log(
  'flow                 requests   WRU    RRU  Sign |  API GW   Lambda (+latency)  DynamoDB      KMS |    total (+latency)',
);
const out: Record<string, unknown> = {};
for (const [name, steps] of Object.entries(report.flows)) {
  const c = flowCost(steps);
  const total = c.apiGateway + c.lambda + c.dynamodb + c.kms;
  const totalWithLatency = total - c.lambda + c.lambdaWithLatency;
  console.log(
    `${name.padEnd(20)} ${String(c.requests).padStart(8)} ${c.wru.toFixed(1).padStart(5)} ${c.rru.toFixed(1).padStart(6)} ${String(c.signs).padStart(5)} |` +
      `${usd(c.apiGateway * M)}${usd(c.lambda * M)} (${usd(c.lambdaWithLatency * M).trim()})${usd(c.dynamodb * M)}${usd(c.kms * M)} |` +
      `${usd(total * M)} (${usd(totalWithLatency * M).trim()})`,
  );
  out[name] = { ...c, total, totalWithLatency };
}
console.log(
  `Lambda at the locally measured duration; "+latency" adds ${LATENCY_MS.dynamodb} ms per DynamoDB request and ` +
    `${LATENCY_MS.kmsSign} ms per KMS Sign. Excluded: the KMS key ($1/month), storage, logs, data transfer, free tiers.`,
);
writeFileSync(
  join(dirname(file), 'cost.json'),
  `${JSON.stringify({ pricesCheckedOn: '2026-11-29', prices: PRICES, latencyMs: LATENCY_MS, perFlowUsd: out }, null, 2)}\n`,
);
