/**
 * Adding databases by path (connections.add), shared by the Databases page and the pages that meet a database the
 * app does not know yet (the rollout browser offers to add a training run's database).
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { Connection } from '../../../shared/contract/index.ts';
import { procedureKey, useConnection } from '../api/hooks.ts';

export interface AddFailure {
  path: string;
  message: string;
}

export function useInvalidateConnections() {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: procedureKey('connections.list') });
}

/** Adds files one after the other (a drop may bring several) and reports each outcome. */
export function useAddDatabases() {
  const { client } = useConnection();
  const invalidate = useInvalidateConnections();
  return useMutation({
    mutationFn: async (requests: { path: string; name?: string }[]) => {
      const added: Connection[] = [];
      const failed: AddFailure[] = [];
      for (const request of requests) {
        try {
          added.push(await client.call('connections.add', request));
        } catch (err) {
          failed.push({ path: request.path, message: (err as Error).message });
        }
      }
      return { added, failed };
    },
    onSettled: invalidate,
  });
}
