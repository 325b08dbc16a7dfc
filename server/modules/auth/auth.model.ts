import { type Connection, type Model, Schema } from 'mongoose';
import { registerModel } from '../../db/models';

/** The collections of this slice, for `Database.ensureCollections`. */
export const AUTH_COLLECTIONS = { sessions: 'sessions' } as const;

/**
 * A sign-in session. `_id` is the SHA-256 of the random token in the cookie, so the database
 * never holds a usable token, and every request finds its session by `_id` (the one lookup
 * FerretDB 1.24 serves from an index, ADR 0003).
 */
export interface SessionDoc {
  _id: string;
  userId: string;
  /** The user's credentials version at sign-in; a password change ends older sessions. */
  credentialsVersion: number;
  createdAt: Date;
  lastSeenAt: Date;
  /** Idle expiry, moved forward while the session is used (rolling). */
  expiresAt: Date;
  /** The session ends then however active it is. */
  absoluteExpiresAt: Date;
}

/** This slice's models, registered on one connection. */
export interface AuthModels {
  sessions: Model<SessionDoc>;
}

const sessionSchema = new Schema<SessionDoc>(
  {
    _id: String,
    userId: { type: String, required: true },
    credentialsVersion: { type: Number, required: true },
    createdAt: { type: Date, required: true },
    lastSeenAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    absoluteExpiresAt: { type: Date, required: true },
  },
  { versionKey: false },
);

/** Registers (once) and returns this slice's models on `connection`. */
export function authModels(connection: Connection): AuthModels {
  return {
    sessions: registerModel(connection, 'Session', sessionSchema, AUTH_COLLECTIONS.sessions),
  };
}
