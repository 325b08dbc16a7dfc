/**
 * The rule book: pure, table-driven checks of the after-school policy (漯教〔2021〕64号, ids
 * of RULES.md). No database, no HTTP: workers, services and API validation call the same
 * functions and zod schemas. Every check returns a {@link RuleDecision} whose violations and
 * warnings cite the rule id and clause; see docs/rules.md for where each rule is enforced.
 */
export * from './citations';
export * from './decision';
export * from './dates';
export * from './parameters';
export * from './calendar';
export * from './eligibility';
export * from './service-time';
export * from './fees';
export * from './content';
export * from './staffing';
export * from './safety';
export * from './plan';
