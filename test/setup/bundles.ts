// Vitest global setup: builds the Lambda bundles (assets/) and the CLI bundle once per run, from the current sources,
// so every synth deploys and the CLI tests run exactly what the package ships.
import { buildBundles } from '../../scripts/build.js';

export default async function setup(): Promise<void> {
  await buildBundles();
}
