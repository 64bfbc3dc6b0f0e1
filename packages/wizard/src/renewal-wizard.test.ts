/**
 * The renewal wizard's API over real HTTP against the real reference CA: a certificate for two
 * names, one of which another account has taken (test-support/names-dropped.ts). The page's
 * calls as the browser app makes them; the CA's CRL says whether the old certificate was revoked.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCertificate } from '@certwizard/pki';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startRenewalWizard, type RunningRenewalWizard } from './start-renewal-wizard.js';
import { droppedNameSetup, type DroppedNameSetup } from './test-support/names-dropped.js';
import { WizardClient, type EventReader } from './test-support/wizard-client.js';
import type { ShownNamesDroppedQuestion, WizardEventRecord } from './wire.js';

let setup: DroppedNameSetup;
let wizard: RunningRenewalWizard | undefined;
beforeEach(async () => {
  setup = await droppedNameSetup();
}, 60_000);
afterEach(async () => {
  await wizard?.close();
  wizard = undefined;
  await setup.dispose();
});

async function start(extra: { namesDroppedTimeoutMs?: number } = {}): Promise<{ wizard: RunningRenewalWizard; client: WizardClient; events: EventReader }> {
  wizard = await startRenewalWizard({
    vendor: { name: 'ExampleMail' },
    name: 'mail',
    baseDir: setup.baseDir,
    trustAnchorsPem: setup.ca.caCertPem,
    credentials: setup.credentials,
    renew: { method: setup.method(), clock: setup.clock },
    ...extra,
  });
  const client = await WizardClient.open(wizard.url);
  return { wizard, client, events: client.events() };
}

async function question(events: EventReader): Promise<ShownNamesDroppedQuestion> {
  const record = await events.waitFor((r) => r.event.type === 'names-dropped-question', 30_000);
  return (record.event as Extract<WizardEventRecord['event'], { type: 'names-dropped-question' }>).question;
}

const liveSerial = () => parseCertificate(readFileSync(join(setup.baseDir, 'live', 'mail', 'cert.pem'), 'utf8')).serialNumberHex.toLowerCase();

describe('the renewal wizard asks before a certificate with dropped names is revoked', () => {
  it('shows the question with the names and the old certificate; Revoke, POSTed with the session, revokes it once the renewed one is live', async () => {
    const { wizard: w, client, events } = await start();
    expect(JSON.parse((await client.get('/api/config')).text)).toMatchObject({ action: 'renew', name: 'mail', caOrigin: new URL(setup.ca.url).origin });
    expect((await client.post('/api/renew')).status).toBe(202);
    const q = await question(events);
    expect(q).toMatchObject({ name: 'mail', droppedNames: ['mail.b.test'], serialHex: setup.firstSerialHex, certificateNames: ['mail.a.test', 'mail.b.test'] });
    expect(Date.parse(q.notAfter)).toBeGreaterThan(Date.now());
    // Asked while the old certificate is live; a GET answers nothing, and neither does another origin or a bad answer.
    expect(liveSerial()).toBe(setup.firstSerialHex);
    expect((await client.get(`/api/names-dropped?questionId=${q.id}&answer=revoke`)).status).toBe(404);
    expect((await client.post('/api/names-dropped', { questionId: q.id, answer: 'revoke' }, { origin: 'http://127.0.0.1:1' })).status).toBe(403);
    expect((await client.post('/api/names-dropped', { questionId: q.id, answer: 'yes' })).status).toBe(422);
    expect((await client.post('/api/names-dropped', { questionId: q.id, answer: 'revoke', pageClosed: true })).status).toBe(422);
    expect((await client.post('/api/names-dropped', { questionId: 'not-the-question', answer: 'revoke' })).status).toBe(409);
    expect(await setup.crlEntry(setup.firstSerialHex)).toBeUndefined();

    expect((await client.post('/api/names-dropped', { questionId: q.id, answer: 'revoke' })).status).toBe(204);
    // Answered once: a second answer finds no question.
    expect((await client.post('/api/names-dropped', { questionId: q.id, answer: 'keep' })).status).toBe(409);
    const outcome = await w.done;
    expect(outcome).toMatchObject({ status: 'renewed', droppedNames: ['mail.b.test'], revokedSerialHex: setup.firstSerialHex });
    expect(liveSerial()).not.toBe(setup.firstSerialHex);
    expect(await setup.crlEntry(setup.firstSerialHex)).toMatchObject({ reason: 'cessationOfOperation' });
    const answered = await events.waitFor((r) => r.event.type === 'names-dropped-answered');
    expect(answered.event).toMatchObject({ answer: 'revoke', by: 'person', questionId: q.id });
    await events.waitFor((r) => r.event.type === 'renewal-outcome');
    expect((await client.post('/api/finish')).status).toBe(204);
    events.close();
  }, 90_000);

  it('keeps the old certificate when the person presses Keep', async () => {
    const { wizard: w, client, events } = await start();
    await client.post('/api/renew');
    const q = await question(events);
    expect((await client.post('/api/names-dropped', { questionId: q.id, answer: 'keep' })).status).toBe(204);
    const outcome = await w.done;
    expect(outcome).toMatchObject({ status: 'renewed', droppedNames: ['mail.b.test'] });
    expect(outcome).not.toHaveProperty('revokedSerialHex');
    expect(await setup.crlEntry(setup.firstSerialHex)).toBeUndefined();
    events.close();
  }, 90_000);

  it('answers keep when the page closes', async () => {
    const s = await start();
    await s.client.post('/api/renew');
    const q = await question(s.events);
    // What the page sends as it unloads (a keepalive POST): keep, marked as the page's.
    expect((await s.client.post('/api/names-dropped', { questionId: q.id, answer: 'keep', pageClosed: true })).status).toBe(204);
    expect((await s.events.waitFor((r) => r.event.type === 'names-dropped-answered')).event).toMatchObject({ answer: 'keep', by: 'closed' });
    expect(await s.wizard.done).not.toHaveProperty('revokedSerialHex');
    s.events.close();
    expect(await setup.crlEntry(setup.firstSerialHex)).toBeUndefined();
  }, 90_000);

  it('answers keep after namesDroppedTimeoutMs', async () => {
    const s = await start({ namesDroppedTimeoutMs: 1000 });
    await s.client.post('/api/renew');
    await question(s.events);
    expect((await s.events.waitFor((r) => r.event.type === 'names-dropped-answered', 10_000)).event).toMatchObject({ answer: 'keep', by: 'timeout' });
    expect(await s.wizard.done).toMatchObject({ status: 'renewed', droppedNames: ['mail.b.test'] });
    s.events.close();
    expect(await setup.crlEntry(setup.firstSerialHex)).toBeUndefined();
  }, 90_000);

  it('answers keep when the wizard closes while asking; done rejects ERR_WIZARD_CLOSED and nothing is revoked', async () => {
    const s = await start();
    await s.client.post('/api/renew');
    await question(s.events);
    const answered = s.events.waitFor((r) => r.event.type === 'names-dropped-answered');
    await s.wizard.close();
    expect((await answered).event).toMatchObject({ answer: 'keep', by: 'closed' });
    await expect(s.wizard.done).rejects.toMatchObject({ code: 'ERR_WIZARD_CLOSED' });
    expect(liveSerial()).toBe(setup.firstSerialHex);
    expect(await setup.crlEntry(setup.firstSerialHex)).toBeUndefined();
  }, 90_000);
});
