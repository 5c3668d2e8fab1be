/** The shape of a prompt's page (login.ts dispatches to them; a leaf module of types). */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Interaction } from 'oidc-provider';
import type { LoginForm } from './html.js';
import type { AuthServer } from './issuers.js';
import type { Settings } from './settings.js';

/** One request to an interaction's page. */
export interface PromptRequest {
  req: IncomingMessage;
  res: ServerResponse;
  server: AuthServer;
  details: Interaction;
  /** What the page shows: the interaction, its client and issuer. */
  form: LoginForm;
  settings: Settings;
}

/** The page of one prompt: what a GET shows, what a POST does. */
export interface PromptPage {
  show(request: PromptRequest): Promise<void>;
  submit(request: PromptRequest): Promise<void>;
}
