/**
 * Usage: `pnpm start <image> <ns:policy> <semver range> <dir> [webhook URL]`, e.g.
 * `pnpm start 127.0.0.1:5000/team/app flux-system:app '>=1.0.0' ./clusters`.
 * Prints the plan (a unified diff) first, then applies it.
 */
import { runUpdateLoop } from './loop.js';

const [image, policyName, range, root, webhook] = process.argv.slice(2);
if (!image || !policyName || !range || !root) {
  process.stderr.write('usage: pnpm start <image> <ns:policy> <semver range> <dir> [webhook URL]\n');
  process.exit(2);
}
const common = {
  image,
  policyName,
  root,
  policy: { policy: { semver: { range } } },
  ...(webhook ? { webhook } : {}),
};
const plan = await runUpdateLoop({ ...common, dryRun: true });
process.stdout.write(plan.diff ?? `nothing to change (latest: ${plan.latest ?? plan.why})\n`);
const done = await runUpdateLoop(common);
for (const c of done.changes) console.log(`${c.file}:${c.line} ${c.oldValue} -> ${c.newValue}`);
