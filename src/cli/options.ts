import { InvalidArgumentError } from 'commander';

/** A commander option parser for counts and limits: a whole number of at least 1. */
export const positiveInt = (what: string) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError(`${what} is a whole number of at least 1`);
  return n;
};
