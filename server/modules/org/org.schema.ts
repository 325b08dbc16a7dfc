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
