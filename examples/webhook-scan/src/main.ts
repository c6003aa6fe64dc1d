/**
 * Usage: `pnpm start <image> [port]`, e.g. `pnpm start 127.0.0.1:5000/team/app 9292`.
 * Scans once, prints the webhook URL (the token comes from `WEBHOOK_TOKEN`), then rescans on
 * every verified Docker Hub-style push webhook and prints the new tags.
 */
import { startWebhookScan } from './webhook-scan.js';

const [image, port] = process.argv.slice(2);
const token = process.env.WEBHOOK_TOKEN;
if (!image || !token) {
  process.stderr.write('usage: WEBHOOK_TOKEN=<secret> pnpm start <image> [port]\n');
  process.exit(2);
}
const app = await startWebhookScan({
  repositories: { 'flux-system/app': image },
  token,
  ...(port ? { port: Number(port) } : {}),
  onScan: (s) =>
    console.log(`${s.repository}: ${s.tags.length} tags, new: ${s.newTags.join(', ') || 'none'}`),
});
console.log(`POST Docker Hub push webhooks to ${app.hookUrl}`);
process.on('SIGINT', () => void app.close().then(() => process.exit(0)));
