// Minimal typings for the parts of bpmnlint (CommonJS, no bundled types) the policy lint uses.
declare module 'bpmnlint' {
  /** A moddle element as bpmnlint hands it to rules. */
  export type ModdleElement = { $type: string; id?: string; [key: string]: unknown };

  /** What a rule reports through. */
  export interface Reporter {
    report(id: string, message: string, context?: Record<string, unknown>): void;
  }

  /** A rule: a check called for every element of the tree. */
  export interface RuleDefinition {
    check:
      | ((node: ModdleElement, reporter: Reporter) => boolean | void)
      | { enter?: (node: ModdleElement, reporter: Reporter) => boolean | void };
  }

  /** Builds a rule from its configuration. */
  export type RuleFactory = (config?: unknown) => RuleDefinition;

  /** A linter configuration. */
  export interface Config {
    extends?: string | string[];
    rules?: Record<string, string | number | [string | number, unknown?]>;
  }

  /** Locates rules and configurations. */
  export interface Resolver {
    resolveRule(pkg: string, ruleName: string): RuleFactory | Promise<RuleFactory>;
    resolveConfig(pkg: string, configName: string): Config | Promise<Config>;
  }

  /** One report, annotated with its category. */
  export interface Report {
    id?: string;
    message: string;
    category: 'error' | 'warn' | 'info' | 'rule-error';
    [key: string]: unknown;
  }

  export class Linter {
    constructor(options: { config?: Config; resolver: Resolver });
    lint(root: ModdleElement, config?: Config): Promise<Record<string, Report[]>>;
  }
}

declare module 'bpmnlint/lib/resolver/node-resolver' {
  import type { Config, Resolver, RuleFactory } from 'bpmnlint';

  /** Resolves `bpmnlint` rules and configurations (and plugins) through node's require. */
  export default class NodeResolver implements Resolver {
    constructor(options?: { require?: NodeRequire; requireLocal?: NodeRequire });
    resolveRule(pkg: string, ruleName: string): RuleFactory;
    resolveConfig(pkg: string, configName: string): Config;
  }
}
