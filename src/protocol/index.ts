export * from './changes.js';
export * from './codes.js';
export * from './codec.js';
export * from './encode.js';
export * from './rules.js';
export * from './schema.js';
export * from './types.js';
export * from './version.js';
