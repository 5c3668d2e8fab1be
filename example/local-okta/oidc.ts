/** Loading oidc-provider, the engine under every issuer. */
import type * as OidcProviderModule from 'oidc-provider';

let oidcModule: typeof OidcProviderModule | undefined;

/**
 * oidc-provider prints "Unsupported runtime" when it is first loaded on Node 20, on which it
 * works (this package needs Node >= 20.19, where `require()` of ES modules is built in).
 * The load is synchronous, so the filter on `console.warn` is in place only while that one
 * module graph evaluates, and it drops only that exact warning.
 */
export function oidc(): typeof OidcProviderModule {
  if (oidcModule) return oidcModule;
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    const first = args[0];
    if (typeof first === 'string' && first.includes('oidc-provider WARNING: Unsupported runtime')) return;
    warn.apply(console, args);
  };
  try {
    // A require() rather than an import: the load has to happen here, inside the filter.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    oidcModule = require('oidc-provider') as typeof OidcProviderModule;
  } finally {
    console.warn = warn;
  }
  return oidcModule;
}
