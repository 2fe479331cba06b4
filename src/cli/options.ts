import { InvalidArgumentError } from 'commander';

/** A commander option parser for counts and limits: a whole number of at least 1. */
export const positiveInt = (what: string) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1) throw new InvalidArgumentError(`${what} is a whole number of at least 1`);
  return n;
};

export const nonNegativeInt = (what: string) => (value: string) => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${what} is a whole number of at least 0`);
  return Number(value);
};

export const nonNegativeNumber = (what: string) => (value: string) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${what} is a number of at least 0`);
  return n;
};

export const positiveNumber = (what: string) => (value: string) => {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${what} is a number above 0`);
  return n;
};
