/**
 * An abort that comes while startWizard() is still starting (loading the page, binding the
 * port): the call rejects with ERR_WIZARD_ABORTED and nothing keeps listening.
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startTestWizard } from './test-support/test-wizard.js';

/** Whether something accepts connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('startWizard() aborted while it starts', () => {
  it('rejects with ERR_WIZARD_ABORTED and leaves no server behind', async () => {
    const stop = new AbortController();
    let port: number | undefined;
    const started = startTestWizard({
      signal: stop.signal,
      logger: {
        // The abort lands right after the port is bound, before startWizard() has returned.
        info: (message, fields) => {
          if (message === 'wizard listening') {
            port = fields?.port as number;
            stop.abort(new Error('installer cancelled'));
          }
        },
        warn: () => {},
        error: () => {},
      },
    });
    await expect(started).rejects.toMatchObject({ code: 'ERR_WIZARD_ABORTED' });
    expect(port).toBeDefined();
    expect(await listening(port as number)).toBe(false);
  });
});
