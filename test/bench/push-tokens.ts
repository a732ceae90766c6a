/** Push target i's token in the push bench: the daemon's config and the pushers agree on it. */
export const pushToken = (i: number): string => `bench-push-token-${String(i).padStart(5, "0")}`;
