import { z } from 'zod';
import { ROLES } from '../../auth/roles';
import { phoneSchema } from './users.schema';

const id = z.string().min(1).max(64);
const level = z.enum(['city', 'county', 'school', 'class']);
/** The roles this API gives (parents and service accounts come otherwise). */
const staffRole = z.enum(ROLES).exclude(['parent', 'worker']);

/** A role in a place: the place by its level and id; the server builds the full scope. */
export const membershipBody = z.strictObject({
  role: staffRole,
  level,
  placeId: id,
});

/** POST /api/users/staff: a new staff account with its first role. */
export const createStaffBody = z.strictObject({
  displayName: z.string().trim().min(1).max(40),
  /** Mainland mobile number, the sign-in name. */
  phone: phoneSchema,
  membership: membershipBody,
});

/** GET /api/users/staff. */
export const listStaffQuery = z.strictObject({
  schoolId: id.optional(),
  role: staffRole.optional(),
  /** Part of the name. */
  q: z.string().trim().min(1).max(40).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

export const userParams = z.strictObject({ id });

/** A staff member as administrators see them: the phone masked, the memberships they manage. */
export const staffView = z.object({
  id: z.string(),
  displayName: z.string(),
  phone: z.string().optional(),
  disabled: z.boolean(),
  memberships: z.array(
    z.object({
      role: z.enum(ROLES),
      level,
      scope: z.object({
        cityId: z.string(),
        countyId: z.string().optional(),
        schoolId: z.string().optional(),
        gradeId: z.string().optional(),
        classId: z.string().optional(),
      }),
    }),
  ),
});

export const staffList = z.object({ items: z.array(staffView), total: z.number().int() });
export const createdStaff = z.object({ user: staffView, initialPassword: z.string() });

export type MembershipBody = z.infer<typeof membershipBody>;
export type CreateStaffBody = z.infer<typeof createStaffBody>;
export type ListStaffQuery = z.infer<typeof listStaffQuery>;
export type StaffView = z.infer<typeof staffView>;
