import type express from 'express';

/**
 * Express 4 (installed as the npm alias `express4`), typed with Express 5's types: the
 * parts the example app uses (`express()`, `express.urlencoded`, routing) match.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const express4 = require('express4') as typeof express;
