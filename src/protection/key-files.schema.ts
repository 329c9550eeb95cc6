import { z } from 'zod';

/**
 * How a JSON file names key and trust files (the replay keys file, the simulator's settings): one shape,
 * so that the two files read the same way. Paths are checked for presence here and read by their users.
 */

/** A private key file and, optionally, its certificate. */
export const keyPairSchema = z.strictObject({ key: z.string().min(1), certificate: z.string().min(1).optional() });

/** Trust anchors, intermediate certificates, CRLs and whether revocation is checked. */
export const trustFilesSchema = z.strictObject({
  anchors: z.array(z.string().min(1)).min(1),
  intermediates: z.array(z.string().min(1)).optional(),
  crls: z.array(z.string().min(1)).optional(),
  revocation: z.enum(['crl', 'none']).optional(),
});
