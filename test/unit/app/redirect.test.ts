import { expect } from 'chai';
import fc from 'fast-check';
import { safeRedirectPath } from '../../../lib/index.js';

const APP = 'https://app.example';

/** Where a browser on `page` goes when it gets `Location: location`. */
function browserTarget(location: string, page = `${APP}/auth/okta/callback?code=c&state=s`): URL {
  return new URL(location, page);
}

describe('safeRedirectPath', () => {
  describe('keeps same-origin paths', () => {
    const kept: Array<[string, string]> = [
      ['/', '/'],
      ['/profile', '/profile'],
      ['/reports/2024?q=1&sort=desc#top', '/reports/2024?q=1&sort=desc#top'],
      ['/search?next=//evil.example', '/search?next=//evil.example'],
      ['/#//evil.example', '/#//evil.example'],
      ['/%2F%2Fevil.example', '/%2F%2Fevil.example'],
      ['/%5Cevil.example', '/%5Cevil.example'],
      ['/with space', '/with%20space'],
      ['/ünïcødé', '/%C3%BCn%C3%AFc%C3%B8d%C3%A9'],
      ['/a/../b', '/b'],
      ['/@evil.example', '/@evil.example'],
      ['/evil.example:443', '/evil.example:443'],
    ];
    for (const [input, output] of kept) {
      it(`keeps ${JSON.stringify(input)} as ${JSON.stringify(output)}`, () => {
        expect(safeRedirectPath(input)).to.equal(output);
        expect(browserTarget(output).origin).to.equal(APP);
      });
    }

    it('keeps a path of exactly 2048 characters', () => {
      const path = `/${'a'.repeat(2047)}`;
      expect(safeRedirectPath(path)).to.equal(path);
    });
  });

  describe('refuses everything else, returning the fallback', () => {
    const refused: Array<[string, unknown]> = [
      ['protocol-relative', '//evil.example'],
      ['protocol-relative with a path', '//evil.example/login'],
      ['three slashes', '///evil.example'],
      ['four slashes', '////evil.example'],
      ['slash backslash', '/\\evil.example'],
      ['backslash slash', '\\/evil.example'],
      ['two backslashes', '\\\\evil.example'],
      ['slash backslash slash', '/\\/evil.example'],
      ['a backslash later in the path', '/docs\\..\\..\\evil'],
      ['absolute https', 'https://evil.example/'],
      ['absolute http in capitals', 'HTTP://evil.example'],
      ['scheme without slashes', 'http:evil.example'],
      ['scheme with one slash', 'https:/evil.example'],
      ['javascript:', 'javascript:alert(document.cookie)'],
      ['javascript: in mixed case', 'JaVaScRiPt:alert(1)'],
      ['data:', 'data:text/html,<script>alert(1)</script>'],
      ['relative path', 'profile'],
      ['dot-relative path', './profile'],
      ['parent-relative path', '../profile'],
      ['leading space', ' /profile'],
      ['leading space before //', ' //evil.example'],
      ['tab between slashes', '/\t/evil.example'],
      ['newline between slashes', '/\n/evil.example'],
      ['CRLF header injection', '/\r\nSet-Cookie: a=b'],
      ['NUL', '/profile\u0000'],
      ['DEL', '/profile\u007f'],
      ['empty string', ''],
      ['longer than 2048', `/${'a'.repeat(2048)}`],
      ['undefined', undefined],
      ['null', null],
      ['a number', 42],
      ['an object', { toString: () => '/profile' }],
      ['an array (a repeated query parameter)', ['/a', '/b']],
    ];
    for (const [label, input] of refused) {
      it(`refuses ${label}`, () => {
        expect(safeRedirectPath(input)).to.equal('/');
        expect(safeRedirectPath(input, '/home')).to.equal('/home');
      });
    }
  });

  it('returns "/" by default and the given fallback otherwise, even an empty one', () => {
    expect(safeRedirectPath('//evil.example')).to.equal('/');
    expect(safeRedirectPath('//evil.example', '')).to.equal('');
  });

  describe('dot segments', () => {
    // The path is returned normalized, and dot segments can collapse "/.//evil.example" into
    // "//evil.example", which a browser reads as another host (fixed in 6da30b2).
    it('never turns a path with dot segments into a protocol-relative URL', () => {
      for (const input of [
        '/.//evil.example',
        '/..//evil.example',
        '/a/..//evil.example',
        '/%2e//evil.example',
        '/%2E%2E//evil.example/path?q#h',
      ]) {
        const output = safeRedirectPath(input);
        expect(output, input).to.not.match(/^\/\//);
        expect(browserTarget(output).origin, input).to.equal(APP);
      }
    });
  });

  describe('properties', () => {
    const pieces = fc.constantFrom(
      '/',
      '//',
      '\\',
      ':',
      '%2f',
      '%5c',
      '%09',
      '?',
      '#',
      '@',
      'evil.example',
      'a',
      'http:',
      'https:',
      'javascript:',
      '\t',
      '\n',
      ' ',
      '\u3002',
      '\uff0f',
      '.',
      '..',
      '%2e',
      '/.',
      '/..',
    );
    // Paths that look almost right find normalization tricks; the rest find parser tricks.
    const pathLike = fc
      .array(fc.constantFrom('/', '//', '.', '..', '%2e', '%2E', '%2f', 'evil.example', 'a', '?', '#', '@', ':'), {
        minLength: 1,
        maxLength: 8,
      })
      .map((parts) => `/${parts.join('')}`);
    const hostile = fc.oneof(
      { arbitrary: pathLike, weight: 3 },
      { arbitrary: fc.array(pieces, { maxLength: 10 }).map((parts) => parts.join('')), weight: 2 },
      { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 1 },
      { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map((s) => `/${s}`), weight: 1 },
    );

    /** What must hold for every input: a same-origin path, whatever the page it is sent from. */
    function assertSafe(input: string): void {
      const output = safeRedirectPath(input, '/fallback');
      if (output === '/fallback') return;
      expect(output.startsWith('/') && !output.startsWith('//') && !output.startsWith('/\\'), output).to.equal(true);
      // eslint-disable-next-line no-control-regex
      expect(output).to.not.match(/[\u0000-\u001f\u007f\\]/);
      expect(browserTarget(output).origin).to.equal(APP);
      expect(browserTarget(output, `${APP}/deep/nested/page`).origin).to.equal(APP);
    }

    it('returns the fallback or a same-origin path for any input', () => {
      fc.assert(
        fc.property(hostile, (input) => assertSafe(input)),
        { numRuns: 3000 },
      );
    });

    it('is idempotent on what it keeps', () => {
      fc.assert(
        fc.property(hostile, (input) => {
          const once = safeRedirectPath(input, '/fallback');
          expect(safeRedirectPath(once, '/fallback')).to.equal(once);
        }),
        { numRuns: 2000 },
      );
    });
  });
});
