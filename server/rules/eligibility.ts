/**
 * Who may be served (三(一)) and how they apply (二(三)): enrolled students of compulsory
 * education (ELIG-ENROLLED), a guardian's own voluntary application (ELIG-VOLUNTARY), and the
 * order in which applicants get places when places are short (ELIG-PRIORITY).
 */
import { z } from 'zod';
import type { RuleCitation } from '../lib/errors';
import { cite } from './citations';
import { decide, type RuleDecision } from './decision';

const idSchema = z.string().min(1).max(64);

/** The student as ELIG-ENROLLED needs them. */
export const enrolmentInputSchema = z.strictObject({
  /** The school the application is for. */
  schoolId: idSchema,
  student: z.strictObject({
    schoolId: idSchema,
    /** Grade level 1–12 (1–9 compulsory education). */
    gradeLevel: z.number().int().min(1).max(12),
    /** On the school's roll now. */
    enrolled: z.boolean(),
  }),
  /** The school serves its senior-high grades too (四(二) last paragraph). */
  seniorHighOptIn: z.boolean().optional(),
});

/** Input of {@link checkEnrolment}. */
export type EnrolmentInput = z.infer<typeof enrolmentInputSchema>;

/** Where an earlier application of the same child stands. */
export const APPLICATION_STATES = [
  'pending',
  'approved',
  'placed',
  'waiting',
  'withdrawn',
  'rejected',
] as const;

/** A state of an application. */
export type ApplicationState = (typeof APPLICATION_STATES)[number];

/** An application still in force: it blocks another for the same child and term. */
export const LIVE_APPLICATION_STATES: readonly ApplicationState[] = [
  'pending',
  'approved',
  'placed',
  'waiting',
];

/** The application as ELIG-VOLUNTARY needs it. */
export const voluntaryInputSchema = z.strictObject({
  /** Who submits it. */
  applicantUserId: idSchema,
  /** The accounts of the child's guardians (监护人). */
  guardianUserIds: z.array(idSchema),
  /** The guardian ticked the consent box of the application form. */
  consent: z.boolean(),
  /** `school` when a school user submits on the family's behalf: bulk enrolment. */
  submittedVia: z.enum(['parent', 'school']).optional(),
  termId: idSchema,
  /** The child's other applications (any term). */
  otherApplications: z
    .array(z.strictObject({ termId: idSchema, state: z.enum(APPLICATION_STATES) }))
    .optional(),
});

/** Input of {@link checkVoluntary}. */
export type VoluntaryInput = z.infer<typeof voluntaryInputSchema>;

/** The groups placed first, in the order the policy names them (ELIG-PRIORITY). */
export const PRIORITY_GROUPS = [
  'disabled',
  'leftBehind',
  'migrantWorkerChild',
  'financialDifficulty',
] as const;

/** A priority group; the keys match the student record's `priorityGroups`. */
export type PriorityGroup = (typeof PRIORITY_GROUPS)[number];

/** An applicant waiting for a place in one session. */
export const placementApplicantSchema = z.strictObject({
  applicationId: idSchema,
  /** When the guardian applied (ISO date-time); earlier goes first within a group. */
  appliedAt: z.iso.datetime({ offset: true }),
  priorityGroups: z.partialRecord(z.enum(PRIORITY_GROUPS), z.boolean()).optional(),
});

/** Input of {@link arrangePlaces}: one applicant. */
export type PlacementApplicant = z.infer<typeof placementApplicantSchema>;

/** An applicant's outcome: placed, or where on the waiting list, and why. */
export interface Placement {
  applicationId: string;
  /** 1-based rank in the ordering (placed ones first). */
  rank: number;
  /** The highest priority group the child is in, if any. */
  priorityGroup?: PriorityGroup;
  /** 1-based place on the waiting list (waiting ones only). */
  waitingPosition?: number;
  reason: RuleCitation;
}

/** Placed applicants and the waiting list, both in ELIG-PRIORITY order. */
export interface PlacementResult {
  placed: Placement[];
  waiting: Placement[];
}

/**
 * ELIG-ENROLLED: the child is on this school's roll, in grades 1–9; grades 10–12 only where the
 * school has opted in.
 */
export function checkEnrolment(input: EnrolmentInput): RuleDecision {
  const { student } = input;
  const violations: RuleCitation[] = [];
  if (!student.enrolled || student.schoolId !== input.schoolId) {
    violations.push(cite('ELIG-ENROLLED', 'rule.ELIG-ENROLLED.not-enrolled'));
  }
  if (student.gradeLevel > 9 && !input.seniorHighOptIn) {
    violations.push(
      cite('ELIG-ENROLLED', 'rule.ELIG-ENROLLED.not-compulsory', { grade: student.gradeLevel }),
    );
  }
  return decide(violations);
}

/**
 * ELIG-VOLUNTARY: only the child's own guardian applies, with consent, never a school in bulk,
 * and one live application per child per term. A withdrawn or refused application does not
 * block a new one: a parent may withdraw at any time and must not lose the choice by it.
 */
export function checkVoluntary(input: VoluntaryInput): RuleDecision {
  const violations: RuleCitation[] = [];
  if (input.submittedVia === 'school') {
    violations.push(cite('ELIG-VOLUNTARY', 'rule.ELIG-VOLUNTARY.bulk'));
  }
  if (!input.guardianUserIds.includes(input.applicantUserId)) {
    violations.push(cite('ELIG-VOLUNTARY', 'rule.ELIG-VOLUNTARY.not-guardian'));
  }
  if (!input.consent) {
    violations.push(cite('ELIG-VOLUNTARY', 'rule.ELIG-VOLUNTARY.no-consent'));
  }
  const live = (input.otherApplications ?? []).some(
    (a) => a.termId === input.termId && LIVE_APPLICATION_STATES.includes(a.state),
  );
  if (live) violations.push(cite('ELIG-VOLUNTARY', 'rule.ELIG-VOLUNTARY.once-per-term'));
  return decide(violations);
}

/**
 * ELIG-PRIORITY: orders applicants for `capacity` places: children of a priority group first
 * (a child in several counts by the first the policy names: disabled, left-behind, migrant
 * workers' children, financial difficulty), then by application time, then by application
 * id so equal times order the same way every run. Returns who is placed and the waiting list,
 * each with its reason.
 */
export function arrangePlaces(
  applicants: readonly PlacementApplicant[],
  capacity: number,
): PlacementResult {
  const ordered = applicants
    .map((a) => ({ applicant: a, group: highestGroup(a), at: Date.parse(a.appliedAt) }))
    .sort(
      (x, y) =>
        groupRank(x.group) - groupRank(y.group) ||
        x.at - y.at ||
        (x.applicant.applicationId < y.applicant.applicationId ? -1 : 1),
    );
  const places = Math.max(0, Math.floor(capacity));
  const result: PlacementResult = { placed: [], waiting: [] };
  ordered.forEach(({ applicant, group }, i) => {
    const base = { applicationId: applicant.applicationId, rank: i + 1, priorityGroup: group };
    if (i < places) {
      result.placed.push({ ...base, reason: placedReason(group) });
    } else {
      const waitingPosition = i - places + 1;
      result.waiting.push({
        ...base,
        waitingPosition,
        reason: cite('ELIG-PRIORITY', 'rule.ELIG-PRIORITY.waiting', {
          position: waitingPosition,
          capacity: places,
        }),
      });
    }
  });
  return result;
}

// helpers //////////

function highestGroup(applicant: PlacementApplicant): PriorityGroup | undefined {
  return PRIORITY_GROUPS.find((g) => applicant.priorityGroups?.[g]);
}

function groupRank(group: PriorityGroup | undefined): number {
  return group ? PRIORITY_GROUPS.indexOf(group) : PRIORITY_GROUPS.length;
}

function placedReason(group: PriorityGroup | undefined): RuleCitation {
  if (!group) return cite('ELIG-PRIORITY', 'rule.ELIG-PRIORITY.placed-by-time');
  return cite('ELIG-PRIORITY', `rule.ELIG-PRIORITY.placed-${group}` as const);
}
