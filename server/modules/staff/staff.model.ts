import { type Connection, type Model, Schema } from 'mongoose';
import { registerModel } from '../../db/models';

/** The collections of this slice, for `Database.ensureCollections`. */
export const STAFF_COLLECTIONS = {
  registrations: 'staff_registrations',
  members: 'staff_members',
  badRecords: 'staff_bad_records',
  events: 'staff_events',
  personKeys: 'staff_person_keys',
  endings: 'staff_endings',
} as const;

/** Where a registration stands; `rejected` (the school did not confirm) is read from its process. */
export type RegistrationStatus = 'submitted' | 'refused' | 'registered';

/**
 * A teacher registration of Annex 2 (附件2 学校教师信息登记表: school full name, name, gender,
 * department, mobile) with the ID number the record check needs, and its `staff-registration`
 * process. Personal data: the ID number is shown masked.
 */
export interface RegistrationDoc {
  _id: string;
  cityId: string;
  countyId: string;
  schoolId: string;
  schoolFullName: string;
  staffName: string;
  gender: 'male' | 'female';
  department: string;
  mobile: string;
  idNumber: string;
  /** An outside professional (外聘), engaged by agreement (FEE-EXTERNAL). */
  isExternal: boolean;
  agreementNo?: string;
  agreementFileRef?: string;
  remunerationFen?: number;
  submittedBy: string;
  submittedAt: Date;
  status: RegistrationStatus;
  /** JSON of the RuleCitation[] that refused it. */
  refusal?: string;
  staffId?: string;
  instanceKey?: string;
  updatedAt: Date;
}

/** A registered member of a school's after-school service staff (课后服务人员). */
export interface StaffMemberDoc {
  _id: string;
  cityId: string;
  countyId: string;
  schoolId: string;
  schoolFullName: string;
  name: string;
  gender: 'male' | 'female';
  department: string;
  mobile: string;
  employment: 'in-service' | 'external';
  agreementNo?: string;
  remunerationFen?: number;
  registrationId: string;
  recordCheck: 'clear';
  registeredAt: Date;
  /** Copied from the member's {@link StaffEndingDoc} (the truth) when the school ends it. */
  endedAt?: Date;
  endDate?: string;
  endReason?: string;
  endedBy?: string;
}

/**
 * The end of a member's registration (a school removes them from its service staff): `_id` is
 * the member's id, so inserting it is the one decision that the member ended, whoever asks
 * twice at once. Kept for the record; the member no longer serves or counts, and their
 * person keys no longer bar a new registration.
 */
export interface StaffEndingDoc {
  _id: string;
  registrationId: string;
  cityId: string;
  countyId: string;
  schoolId: string;
  /** The last day served, 'YYYY-MM-DD'. */
  endDate: string;
  reason: string;
  endedBy: string;
  endedAt: Date;
}

/**
 * An entry of the bad-record list (不良记录) a bureau keeps: `bad` bars the person (SAFE-STAFF),
 * `pending` (a check under way) bars them too, `clear` records that a check found nothing.
 * `_id` is the SHA-256 of the upper-cased ID number, so a lookup is by `_id` and the list
 * holds no ID number in clear.
 */
export interface BadRecordDoc {
  _id: string;
  cityId: string;
  countyId?: string;
  name: string;
  idNumberMasked: string;
  status: 'bad' | 'pending' | 'clear';
  note?: string;
  recordedBy: string;
  recordedAt: Date;
}

/** Something that happened to a registration; `_id` is `<registrationId>:<key>`. */
export interface StaffEventDoc {
  _id: string;
  registrationId: string;
  step: string;
  status?: RegistrationStatus;
  at: Date;
  by: string;
  data?: string;
}

/**
 * A person's key at a school, held by the registration that claimed it: `_id` is
 * `<schoolId>:id:<SHA-256 of the ID number>` or `<schoolId>:mobile:<mobile>`, then `#1`, `#2`,
 * … for later generations. Inserting it is the compare-and-swap that lets one registration of
 * a person per school be pending or confirmed at a time: once the holder of a generation is
 * refused, rejected or ended, the next registration claims the next generation (never by
 * deleting or overwriting the earlier one, which two claimants could do at once).
 */
export interface StaffPersonKeyDoc {
  _id: string;
  registrationId: string;
  createdAt: Date;
}

/** This slice's models. */
export interface StaffModels {
  registrations: Model<RegistrationDoc>;
  members: Model<StaffMemberDoc>;
  badRecords: Model<BadRecordDoc>;
  events: Model<StaffEventDoc>;
  personKeys: Model<StaffPersonKeyDoc>;
  endings: Model<StaffEndingDoc>;
}

const opts = { versionKey: false } as const;
const str = { type: String, required: true } as const;
const date = { type: Date, required: true } as const;

const registrationSchema = new Schema<RegistrationDoc>(
  {
    _id: String,
    cityId: str,
    countyId: str,
    schoolId: str,
    schoolFullName: str,
    staffName: str,
    gender: str,
    department: str,
    mobile: str,
    idNumber: str,
    isExternal: { type: Boolean, required: true },
    agreementNo: String,
    agreementFileRef: String,
    remunerationFen: Number,
    submittedBy: str,
    submittedAt: date,
    status: str,
    refusal: String,
    staffId: String,
    instanceKey: String,
    updatedAt: date,
  },
  opts,
);

const memberSchema = new Schema<StaffMemberDoc>(
  {
    _id: String,
    cityId: str,
    countyId: str,
    schoolId: str,
    schoolFullName: str,
    name: str,
    gender: str,
    department: str,
    mobile: str,
    employment: str,
    agreementNo: String,
    remunerationFen: Number,
    registrationId: str,
    recordCheck: str,
    registeredAt: date,
    endedAt: Date,
    endDate: String,
    endReason: String,
    endedBy: String,
  },
  opts,
);

const endingSchema = new Schema<StaffEndingDoc>(
  {
    _id: String,
    registrationId: str,
    cityId: str,
    countyId: str,
    schoolId: str,
    endDate: str,
    reason: str,
    endedBy: str,
    endedAt: date,
  },
  opts,
);

const badRecordSchema = new Schema<BadRecordDoc>(
  {
    _id: String,
    cityId: str,
    countyId: String,
    name: str,
    idNumberMasked: str,
    status: str,
    note: String,
    recordedBy: str,
    recordedAt: date,
  },
  opts,
);

const eventSchema = new Schema<StaffEventDoc>(
  {
    _id: String,
    registrationId: str,
    step: str,
    status: String,
    at: date,
    by: str,
    data: String,
  },
  opts,
);

const personKeySchema = new Schema<StaffPersonKeyDoc>(
  { _id: String, registrationId: str, createdAt: date },
  opts,
);

/** Registers (once) and returns this slice's models on `connection`. */
export function staffModels(connection: Connection): StaffModels {
  return {
    registrations: registerModel(
      connection,
      'StaffRegistration',
      registrationSchema,
      STAFF_COLLECTIONS.registrations,
    ),
    members: registerModel(connection, 'StaffMember', memberSchema, STAFF_COLLECTIONS.members),
    badRecords: registerModel(
      connection,
      'StaffBadRecord',
      badRecordSchema,
      STAFF_COLLECTIONS.badRecords,
    ),
    events: registerModel(connection, 'StaffEvent', eventSchema, STAFF_COLLECTIONS.events),
    personKeys: registerModel(
      connection,
      'StaffPersonKey',
      personKeySchema,
      STAFF_COLLECTIONS.personKeys,
    ),
    endings: registerModel(connection, 'StaffEnding', endingSchema, STAFF_COLLECTIONS.endings),
  };
}
