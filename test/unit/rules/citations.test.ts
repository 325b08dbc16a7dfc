import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { formatRule, RuleViolationError } from '../../../server/lib/errors';
import {
  RULES,
  RULE_IDS,
  assertAllowed,
  bpmnErrorCode,
  cite,
  citedRules,
  combine,
  decide,
  isRuleId,
  ruleReference,
  ruleStatement,
  type RuleId,
} from '../../../server/rules';

/** RULES.md lives in the shared folder beside the repository (also in CI). */
const RULES_MD = path.resolve(__dirname, '../../../../shared/RULES.md');
/** A clause of the policy as RULES.md writes it: 三(二), 四(四), 附件. */
const CLAUSE = /[一二三四五六七八九十]+\([一二三四五六七八九十]+\)|附件/g;
const KINDS = ['hard', 'soft', 'configurable', 'info', 'integration', 'forms'];

interface DigestRow {
  id: string;
  kind: string;
  configurable: boolean;
  /** Clauses named by the row's section heading and by the row itself. */
  clauses: string[];
}

describe('the rule table', () => {
  const digest = parseRulesMd(readRulesMd());

  it('should list exactly the rule ids of RULES.md, in its order', () => {
    // given
    const documented = digest.map((r) => r.id);

    // when
    const tabled = RULE_IDS;

    // then
    expect(tabled).toEqual(documented);
  });

  it.each(digest.map((r) => [r.id, r] as const))(
    'should give %s the kind and configurability RULES.md gives it',
    (id, row) => {
      // given
      const entry = RULES[id as RuleId];

      // when / then
      expect(entry.kind).toBe(row.kind);
      expect(entry.configurable).toBe(row.configurable);
    },
  );

  it.each(digest.map((r) => [r.id, r] as const))(
    'should cite for %s a clause its section or row of RULES.md names',
    (id, row) => {
      // given
      const entry = RULES[id as RuleId];

      // when / then
      expect(row.clauses).toContain(entry.clause);
    },
  );

  it('should have a zh-CN statement for every rule', () => {
    // given / when
    const statements = RULE_IDS.map(ruleStatement);

    // then
    for (const s of statements) expect(s).toMatch(/[\u4e00-\u9fff]/);
  });
});

describe('citations', () => {
  it('should name a rule the way RULES.md asks', () => {
    // given / when / then
    expect(ruleReference('FEE-CAP')).toBe('FEE-CAP (漯教〔2021〕64号 四(二))');
    expect(ruleReference('TIME-END-WINTER')).toBe('TIME-END-WINTER (漯教〔2021〕64号 三(二))');
  });

  it('should cite a rule with its clause and a filled zh-CN message', () => {
    // given / when
    const citation = cite('FEE-CAP', 'rule.FEE-CAP.over-cap', { standard: '90.00', cap: '80.00' });

    // then
    expect(citation).toEqual({
      rule: 'FEE-CAP',
      clause: '四(二)',
      message: '收费标准每生每月 90.00 元，超过上限 80.00 元',
    });
    expect(formatRule(citation)).toBe(
      'FEE-CAP (漯教〔2021〕64号 四(二))：收费标准每生每月 90.00 元，超过上限 80.00 元',
    );
  });

  it("should fall back to the rule's statement without a case", () => {
    // given / when
    const citation = cite('SAFE-INSURE');

    // then
    expect(citation.message).toBe(ruleStatement('SAFE-INSURE'));
  });

  it('should tell rule ids from other strings', () => {
    expect(isRuleId('FLOW-CHAIN')).toBe(true);
    expect(isRuleId('FEE-CAPS')).toBe(false);
    expect(isRuleId('toString')).toBe(false);
  });
});

describe('decisions', () => {
  it('should be ok without violations even with warnings', () => {
    // given
    const warning = cite('CONTENT-NO-BURDEN');

    // when
    const d = decide([], [warning]);

    // then
    expect(d).toEqual({ ok: true, violations: [], warnings: [warning] });
  });

  it('should combine decisions and name the BPMN error code by the first violation', () => {
    // given
    const a = decide([cite('TIME-END-WINTER')]);
    const b = decide([cite('FEE-CAP')], [cite('TIME-2H')]);

    // when
    const d = combine(decide(), a, b);

    // then
    expect(d.ok).toBe(false);
    expect(citedRules(d)).toEqual(['TIME-END-WINTER', 'FEE-CAP', 'TIME-2H']);
    expect(bpmnErrorCode(d)).toBe('TIME_RULE_VIOLATION');
    expect(bpmnErrorCode(decide())).toBeUndefined();
  });

  it('should throw a RuleViolationError carrying the citations when not allowed', () => {
    // given
    const d = decide([cite('SAFE-INSURE', 'rule.SAFE-INSURE.missing')]);

    // when
    const thrown = (() => {
      try {
        assertAllowed(d);
      } catch (e) {
        return e;
      }
    })();

    // then
    expect(thrown).toBeInstanceOf(RuleViolationError);
    expect((thrown as RuleViolationError).rules).toEqual(d.violations);
    expect(() => assertAllowed(decide())).not.toThrow();
  });
});

// helpers //////////

function readRulesMd(): string {
  if (!existsSync(RULES_MD)) {
    throw new Error(
      `RULES.md not found at ${RULES_MD}: the shared folder must sit beside the repo`,
    );
  }
  return readFileSync(RULES_MD, 'utf8');
}

/** Every table row of RULES.md whose first cell is a rule id. */
function parseRulesMd(markdown: string): DigestRow[] {
  const rows: DigestRow[] = [];
  let sectionClauses: string[] = [];
  for (const line of markdown.split('\n')) {
    if (line.startsWith('## ')) sectionClauses = line.match(CLAUSE) ?? [];
    const cells = line.split('|').map((c) => c.trim());
    const id = cells[1] ?? '';
    if (!/^[A-Z]+(-[A-Z0-9]+)+$/.test(id)) continue;
    const kindCell = (cells[3] ?? '').replace(/\*/g, '');
    const kind = KINDS.find((k) => kindCell.startsWith(k)) ?? kindCell;
    rows.push({
      id,
      kind,
      configurable: kindCell.includes('configurable'),
      clauses: [...sectionClauses, ...(line.match(CLAUSE) ?? [])],
    });
  }
  return rows;
}
