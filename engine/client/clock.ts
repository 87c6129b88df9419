/**
 * The client process's hybrid logical clock: one Hlc shared by every pool and container handle of the
 * process, so epochs issued by one client are strictly increasing across objects (a later write never
 * gets a smaller epoch than an earlier one, whatever handle it goes through). A retried operation reuses
 * the epoch it was first given; it never asks the clock again.
 */
import { Hlc } from '../wire/epoch.js';

export const clientHlc = new Hlc();
