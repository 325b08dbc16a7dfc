/**
 * What the service may contain (三(三), 四(四)): the allowed kinds of activity
 * (CONTENT-ALLOWED); never group teaching of new content, remedial classes or exams
 * (CONTENT-NO-TEACHING); no 特色班/兴趣班/培优班 run by an outside agency (CONTENT-NO-AGENCY);
 * and no extra homework burden (CONTENT-NO-BURDEN, a warning).
 *
 * Besides the declared category, titles and descriptions are searched for the words the
 * policy names. A word shortly after a negation in the same clause (不补课, 不讲新课, 严禁考试)
 * does not count. The search is a heuristic for a reviewer's attention, not a proof either
 * way.
 */
import { z } from 'zod';
import type { RuleCitation } from '../lib/errors';
import { cite } from './citations';
import { decide, type RuleDecision } from './decision';

/** The activities the policy allows (CONTENT-ALLOWED). */
export const ALLOWED_CATEGORIES = [
  'homework',
  'reading',
  'sports',
  'arts',
  'science',
  'club',
  'labour',
  'film',
  'individual-help',
  'practice',
] as const;

/** Categories the policy forbids (CONTENT-NO-TEACHING). */
export const FORBIDDEN_CATEGORIES = ['group-teaching', 'remedial', 'exam'] as const;

/** A category of activity. */
export type ActivityCategory =
  (typeof ALLOWED_CATEGORIES)[number] | (typeof FORBIDDEN_CATEGORIES)[number];

/** Who runs an activity: the school's own staff, a hired professional, or an agency. */
export const PROVIDER_KINDS = ['school', 'external-professional', 'agency'] as const;

/** One activity of a session, as a school's plan describes it. */
export const activitySchema = z.strictObject({
  title: z.string().trim().min(1).max(100),
  description: z.string().max(2000).optional(),
  category: z.string().min(1).max(64),
  provider: z
    .strictObject({ kind: z.enum(PROVIDER_KINDS), name: z.string().max(200).optional() })
    .optional(),
  /** The activity gives students homework of its own. */
  assignsHomework: z.boolean().optional(),
});

/** An activity (validated with {@link activitySchema}). */
export type Activity = z.infer<typeof activitySchema>;

/** Checks one activity against the content rules. */
export function checkActivity(activity: Activity): RuleDecision {
  const text = `${activity.title}\n${activity.description ?? ''}`;
  const violations: RuleCitation[] = [];
  const warnings: RuleCitation[] = [];
  const title = activity.title;

  if ((FORBIDDEN_CATEGORIES as readonly string[]).includes(activity.category)) {
    violations.push(cite('CONTENT-NO-TEACHING', 'rule.CONTENT-NO-TEACHING.category', { title }));
  } else if (!(ALLOWED_CATEGORIES as readonly string[]).includes(activity.category)) {
    violations.push(
      cite('CONTENT-ALLOWED', 'rule.CONTENT-ALLOWED.unknown-category', {
        title,
        category: activity.category,
      }),
    );
  }
  const teaching = findWord(text, TEACHING_WORDS);
  if (teaching) {
    violations.push(
      cite('CONTENT-NO-TEACHING', 'rule.CONTENT-NO-TEACHING.keyword', { title, word: teaching }),
    );
  }
  const agencyClass = findWord(text, AGENCY_CLASS_WORDS);
  if (agencyClass && isAgency(activity.provider)) {
    violations.push(
      cite('CONTENT-NO-AGENCY', 'rule.CONTENT-NO-AGENCY.agency-class', {
        title,
        word: agencyClass,
      }),
    );
  }
  const burden = activity.assignsHomework ? '布置作业' : findWord(text, BURDEN_WORDS);
  if (burden) {
    warnings.push(cite('CONTENT-NO-BURDEN', 'rule.CONTENT-NO-BURDEN.homework', { title }));
  }
  return decide(violations, warnings);
}

/** Checks every activity; an empty list is itself a gap of the plan (checked there). */
export function checkActivities(activities: readonly Activity[]): RuleDecision {
  const decisions = activities.map(checkActivity);
  return decide(
    decisions.flatMap((d) => d.violations),
    decisions.flatMap((d) => d.warnings),
  );
}

/**
 * Whether a provider is an outside agency (社会机构): declared so, or a named company or
 * training school even when declared as a professional.
 */
export function isAgency(provider: Activity['provider']): boolean {
  if (!provider || provider.kind === 'school') return false;
  if (provider.kind === 'agency') return true;
  return AGENCY_NAME_WORDS.some((w) => provider.name?.includes(w));
}

// helpers //////////

/** Group teaching, remedial classes, exams (三(三): 集体教学、补课、考试); 培优 is remedial
 * teaching for the strong and counts too. */
const TEACHING_WORDS = [
  '集体教学',
  '补课',
  '新课',
  '讲授新',
  '考试',
  '测验',
  '月考',
  '统考',
  '联考',
  '培优',
];

/** The classes outside agencies may not run in schools (四(四)). */
const AGENCY_CLASS_WORDS = ['特色班', '兴趣班', '培优班'];

/** Names that mark a provider as an organisation rather than a person. */
const AGENCY_NAME_WORDS = ['公司', '机构', '培训学校', '培训中心', '教育中心', '工作室'];

/** Signs of extra homework (四(四): 不得增加学生课业负担). */
const BURDEN_WORDS = ['布置作业', '额外作业', '加留作业', '增加作业', '加布置'];

/** Phrases that contain a word above but mean something else (新课标: the curriculum). */
const NOT_MEANT = ['新课标', '新课程'];

const NEGATIONS = ['不得', '严禁', '禁止', '杜绝', '不', '无', '非', '没有'];

/** Up to four characters before `at`, back to the nearest punctuation (不讲新课, 不得组织考试). */
function clauseBefore(text: string, at: number): string {
  const window = text.slice(Math.max(0, at - 4), at);
  return window.split(/[，。；、,.;:：！？!?\s]/).pop() ?? '';
}

/** The first of `words` in `text` not shortly after a negation nor inside a phrase meant otherwise. */
function findWord(text: string, words: readonly string[]): string | undefined {
  for (const word of words) {
    for (let at = text.indexOf(word); at >= 0; at = text.indexOf(word, at + 1)) {
      const negated = NEGATIONS.some((n) => clauseBefore(text, at).includes(n));
      const otherMeaning = NOT_MEANT.some((p) => p.startsWith(word) && text.startsWith(p, at));
      if (!negated && !otherMeaning) return word;
    }
  }
  return undefined;
}
