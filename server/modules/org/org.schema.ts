import { z } from 'zod';
import { idSchema } from '../users/users.schema';

const paging = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
};

/** GET /api/org/schools */
export const listSchoolsQuery = z.strictObject({ countyId: idSchema.optional(), ...paging });

/** GET /api/org/classes */
export const listClassesQuery = z.strictObject({
  schoolId: idSchema.optional(),
  gradeId: idSchema.optional(),
  ...paging,
});

/** GET /api/org/students */
export const listStudentsQuery = z.strictObject({
  schoolId: idSchema.optional(),
  gradeId: idSchema.optional(),
  classId: idSchema.optional(),
  ...paging,
});

/** GET /api/org/students/:id */
export const studentParams = z.strictObject({ id: idSchema });

export type ListSchoolsQuery = z.infer<typeof listSchoolsQuery>;
export type ListClassesQuery = z.infer<typeof listClassesQuery>;
export type ListStudentsQuery = z.infer<typeof listStudentsQuery>;

// responses //////////

/** One page of a list. */
function page<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    total: z.number().int(),
    limit: z.number().int(),
    offset: z.number().int(),
  });
}

/** A school in a list. */
export const schoolItem = z.object({
  id: z.string(),
  cityId: z.string(),
  countyId: z.string(),
  name: z.string(),
  stage: z.string(),
});

/** A class in a list. */
export const classItem = z.object({
  id: z.string(),
  cityId: z.string(),
  countyId: z.string(),
  schoolId: z.string(),
  gradeId: z.string(),
  level: z.number().int(),
  number: z.number().int(),
  name: z.string(),
});

/** A student in a list: never personal fields. */
export const studentItem = z.object({
  id: z.string(),
  schoolId: z.string(),
  gradeId: z.string(),
  classId: z.string(),
  name: z.string(),
  gender: z.enum(['male', 'female']),
  studentNo: z.string(),
  enrolled: z.boolean(),
  isInsured: z.boolean(),
});

/** One student: personal fields only for those the table allows. */
export const studentDetail = studentItem.extend({
  cityId: z.string(),
  countyId: z.string(),
  idNumber: z.string().optional(),
  guardians: z
    .array(z.object({ relation: z.string(), name: z.string(), phone: z.string() }))
    .optional(),
  povertyRegistered: z.boolean().optional(),
  priorityGroups: z
    .object({
      disabled: z.boolean(),
      leftBehind: z.boolean(),
      migrantWorkerChild: z.boolean(),
      financialDifficulty: z.boolean(),
    })
    .optional(),
});

/** A county in a list: its name, for showing a county's place (县区) by name. */
export const countyItem = z.object({ id: z.string(), cityId: z.string(), name: z.string() });

/** `GET /api/org/counties` response. */
export const countyList = z.object({ items: z.array(countyItem) });

export const schoolPage = page(schoolItem);
export const classPage = page(classItem);
export const studentPage = page(studentItem);
