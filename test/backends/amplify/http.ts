/**
 * fetch for the harness's own calls to its servers, tried again on a network failure. Why: undici
 * keeps idle connections, and the servers here close them after 5 s (Node's keepAliveTimeout);
 * starting a large schema takes longer than that between two calls, and the next request on the
 * closed connection fails with "fetch failed" (seen when the contract's 76-model pool starts).
 */
export async function postWithRetry(url: string, init: RequestInit, attempts = 4): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url, init);
    } catch (error) {
      if (attempt >= attempts) throw new Error(`Amplify test backend: cannot reach ${url}: ${String((error as Error).cause ?? error)}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}
