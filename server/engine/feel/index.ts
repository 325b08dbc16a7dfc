/**
 * The FEEL and timer layer of the engine: Zeebe-compatible evaluation of `=` expressions on
 * top of feelin, typed helpers for the BPMN attributes the runtime evaluates, and timer
 * definitions (`timeDate`, `timeDuration`, `timeCycle` incl. cron).
 */
export {
  checkSyntax,
  evaluate,
  evaluateBoolean,
  evaluateDateTime,
  evaluateDuration,
  evaluateList,
  evaluateNumber,
  evaluateStatic,
  evaluateString,
  evaluateStringList,
  isExpression,
} from './evaluate';
export {
  evaluateTimer,
  parseTimeCycle,
  parseTimeDate,
  parseTimeDuration,
  type TimerCycle,
  type TimerKind,
  type TimerOptions,
  type TimerSchedule,
} from './timer';
export { type IsoDuration, formatIsoDuration, parseIsoDuration } from './iso';
export { ADDED_FUNCTIONS } from './builtins';
export { type FeelTypeName, feelTypeOf } from './convert';
export type { FeelOptions, FeelResult, JsonValue, Result } from './types';
