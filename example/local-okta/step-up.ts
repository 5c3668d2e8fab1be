/**
 * Step-up with `acr_values`, as Okta's "Step-up authentication using ACR values" guide
 * describes it: Okta's predefined values, a second factor when a value wants two, and
 * `unmet_authentication_requirements` when the user has no factor that would do.
 *
 * Okta puts the `acr_values` value it met in the tokens' `acr` (the guide's tokens for
 * `urn:okta:loa:1fa:any` say exactly that value, and okta-auth-js checks `acr` against the
 * `acr_values` it sent), and sends no `acr` when none was asked. oidc-provider takes the
 * `acr` of a code from the session, so the check below sets it, for this request, to the
 * value met: the session's own record of what was done is its `amr`.
 */
import type { KoaContextWithOIDC } from 'oidc-provider';
import { oidc } from './oidc.js';
import type { DemoUser } from './types.js';

/** What the second factor adds to `amr`: a one-time code (Okta's `otp`), and `mfa` as Okta adds. */
export const SECOND_FACTOR_AMR = ['otp', 'mfa'];

/** What a value needs, from a session's `amr` and the user's factors. */
type Outcome = 'met' | 'step-up' | 'unmeetable';

/**
 * Okta's predefined `acr_values`; others are ignored, as in Okta. `phr` and `phrh` need a
 * passkey or Okta Verify, which no demo user has.
 */
const ACR_VALUES: Record<string, (amr: string[], user: DemoUser) => Outcome> = {
  'urn:okta:loa:1fa:any': (amr) => (amr.length > 0 ? 'met' : 'step-up'),
  'urn:okta:loa:1fa:pwd': (amr) => (amr.includes('pwd') ? 'met' : 'step-up'),
  'urn:okta:loa:2fa:any': (amr, user) => twoFactors(amr, user, 'unmeetable'),
  // "Any two factors if possible": one factor satisfies it for a user with no second one.
  'urn:okta:loa:2fa:any:ifpossible': (amr, user) => twoFactors(amr, user, 'met'),
  phr: () => 'unmeetable',
  phrh: () => 'unmeetable',
};

function twoFactors(amr: string[], user: DemoUser, withoutFactor: Outcome): Outcome {
  if (amr.includes('otp')) return 'met';
  return user.oneTimeCode === undefined ? withoutFactor : 'step-up';
}

/** Okta's `error_description` for `unmet_authentication_requirements`. */
const UNMET = "Unable to meet the authentication requirements imposed by 'acr_values' parameter.";
/** Okta's answer to `prompt=none` when the app's requirements need another factor. */
const PROMPT_NONE = 'The client specified not to prompt, but the client app requires re-authentication or MFA.';

/**
 * The result for a request's `acr_values`, taken in their order of preference: the first
 * value met, or a step-up for the first one a second factor would meet; `unmeetable` when
 * no known value can be met; `undefined` when none is known.
 */
export function assessAcrValues(acrValues: string, amr: string[], user: DemoUser) {
  let known = false;
  for (const value of acrValues.split(' ')) {
    const rule = ACR_VALUES[value];
    if (!rule) continue;
    known = true;
    const outcome = rule(amr, user);
    if (outcome !== 'unmeetable') return { outcome, acr: value };
  }
  return known ? { outcome: 'unmeetable' as const, acr: undefined } : undefined;
}

/**
 * The `mfa` prompt, after oidc-provider's login and consent prompts: it asks for the second
 * factor (its page is in mfa.ts), throws `unmet_authentication_requirements` to the client
 * for a requirement the user cannot meet, and sets the `acr` that the code will carry.
 */
export function secondFactorPrompt(users: DemoUser[]) {
  const { Prompt, Check } = oidc().interactionPolicy;
  return new Prompt(
    { name: 'mfa', requestable: false },
    new Check('acr_values', PROMPT_NONE, 'login_required', (ctx: KoaContextWithOIDC) => {
      const { session, params } = ctx.oidc;
      const user = users.find((candidate) => candidate.sub === session?.accountId);
      const acrValues = typeof params?.acr_values === 'string' ? params.acr_values : '';
      const result = user && session ? assessAcrValues(acrValues, session.amr ?? [], user) : undefined;
      if (result?.outcome === 'unmeetable') throw new (oidc().errors.UnmetAuthenticationRequirements)(UNMET);
      if (result?.outcome === 'step-up') return true;
      // The acr of this response: the value met, or none when none was asked.
      if (session) session.acr = result?.acr;
      return false;
    }),
  );
}
