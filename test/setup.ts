import { afterAll } from 'vitest';
import { killChildren } from './helpers.ts';

// Runs after each test file's own hooks: a server or CLI a timed-out test never stopped is killed here.
afterAll(killChildren);
