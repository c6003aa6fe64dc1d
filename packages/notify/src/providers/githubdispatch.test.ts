import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeNotifierContract } from '../../test/contract.js';
import { startFakeForge, successEvent } from '../../test/forge-harness.js';
import type { FakeForge } from '../../test/forge-harness.js';
import { encodeEvent } from '../event.js';
import { githubdispatch } from './githubdispatch.js';

describeNotifierContract({
  definition: githubdispatch,
  spec: ({ url, token }) => ({ type: 'githubdispatch', address: `${url}/org/repo`, secret: { token } }),
  invalid: [{ type: 'githubdispatch', address: 'https://github.com/org/repo' }],
});

describe('githubdispatch (spec §5)', () => {
  let forge: FakeForge;
  beforeAll(async () => {
    forge = await startFakeForge();
  });
  afterAll(() => forge.close());

  it('POSTs repos/<o>/<r>/dispatches with event_type <Kind>/<name>.<namespace> and the event as payload', async () => {
    forge.reset();
    const event = { ...successEvent, message: 'a <b> & c' };
    await forge
      .notifier({ type: 'githubdispatch', address: `${forge.url}/org/repo`, secret: { token: 'ghp_d' } })
      .send(event);
    expect(forge.calls()).toEqual(['POST /api/v3/repos/org/repo/dispatches']);
    const req = forge.requests[0]!;
    expect(req.headers.authorization).toBe('Bearer ghp_d');
    expect(req.text()).toBe(
      `{"event_type":"Kustomization/webapp.flux-system","client_payload":${encodeEvent(event)}}\n`,
    );
    expect(req.json()).toMatchObject({
      client_payload: { message: 'a <b> & c', involvedObject: { kind: 'Kustomization' } },
    });
  });
});
