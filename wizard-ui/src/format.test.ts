import { describe, expect, it } from 'vitest';
import { pathParts } from './format.js';

describe('pathParts', () => {
  it.each([
    ['/etc/examplemail/certs/live/mail/fullchain.pem', ['/', 'etc/', 'examplemail/', 'certs/', 'live/', 'mail/', 'fullchain.pem']],
    ['C:\\ProgramData\\ExampleMail\\cert.pem', ['C:\\', 'ProgramData\\', 'ExampleMail\\', 'cert.pem']],
    ['relative/dir/', ['relative/', 'dir/']],
    ['file.pem', ['file.pem']],
    ['', ['']],
  ])('%s', (path, parts) => {
    expect(pathParts(path)).toEqual(parts);
    expect(pathParts(path).join('')).toBe(path);
  });
});
