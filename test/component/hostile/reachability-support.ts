import { ERROR_CODES, type ErrorCode } from '../../../src/shared/errors.js';
import { isStaffError, type StaffError } from '../../../src/staff/staff.errors.js';

export { ERROR_CODES, type ErrorCode };

export function isStaffErrorLike(err: unknown): err is StaffError {
  return isStaffError(err);
}
