/**
 * A push that failed, in one message that says which of three things happened: the registry refused
 * the credentials (its own words quoted), the push stopped halfway (how far it got, whatever the
 * low-level reason: dockerd retries a layer before it gives up), or the registry cannot be reached
 * before anything went up (the name does not resolve, nothing listens, TLS). Pure: the tests feed it the
 * messages dockerd really sends.
 */
import { describeProgress, type PushProgress } from './pushLog';

export type PublishFailure = 'auth' | 'unreachable' | 'interrupted' | 'refused' | 'cancelled';

export class PublishError extends Error {
  override readonly name = 'PublishError';
  constructor(
    readonly failure: PublishFailure,
    message: string,
    /** What dockerd or the registry said, unchanged. */
    readonly registryMessage: string,
  ) {
    super(message);
  }
}

export interface FailureContext {
  /** The registry host (`127.0.0.1:5000`). */
  readonly host: string;
  /** The reference being pushed (`127.0.0.1:5000/team/churn:0.1.0`). */
  readonly reference: string;
  /** The user whose credentials were sent; undefined when none were. */
  readonly user: string | undefined;
  /** Where the credentials came from (dockerConfig.ts `source`). */
  readonly credentialSource: string;
  /** How far the push got. */
  readonly progress: PushProgress;
  /** Whether a layer had started going up. */
  readonly started: boolean;
}

const AUTH = /\b(unauthorized|authentication required|incorrect username or password|denied|forbidden|401|403)\b/i;
const DNS = /no such host|server misbehaving|name resolution|name or service not known|Could not resolve/i;
const REFUSED = /connection refused/i;
const TIMEOUT = /i\/o timeout|timeout exceeded|deadline exceeded|TLS handshake timeout|no route to host|network is unreachable/i;
const HTTP_TO_HTTPS = /server gave HTTP response to HTTPS client/i;
const CERT = /x509|certificate/i;

/** The one message for what dockerd said when a push failed. */
export function explainPushFailure(registryMessage: string, c: FailureContext): PublishError {
  const said = registryMessage.trim();
  const quoted = `“${said}”`;
  if (AUTH.test(said)) {
    const how = `Log in again with \`docker login ${c.host}\` (it updates Docker's config, which PyML reads).`;
    if (!c.user) {
      return new PublishError(
        'auth',
        `The registry ${c.host} refused the push without credentials: it answered ${quoted}. Docker's config has none for it (${c.credentialSource}). ${how}`,
        said,
      );
    }
    const pushRights = /denied|forbidden|403/i.test(said) && !/unauthorized|authentication required|incorrect/i.test(said);
    const refusal = pushRights
      ? `The registry ${c.host} accepted '${c.user}' but refused to let them push ${c.reference}: it answered ${quoted}. Check that the path in pyml.registry is one this user may push to.`
      : `The registry ${c.host} refused the user name and password of '${c.user}' (from ${c.credentialSource}): it answered ${quoted}. ${how}`;
    return new PublishError('auth', refusal, said);
  }
  if (c.started) {
    return new PublishError(
      'interrupted',
      `The push of ${c.reference} stopped halfway (${describeProgress(c.progress)}): ${quoted}. ` +
        'The tag was not written, so the registry still serves what it had; the layers that arrived stay there, and Publish Image again sends only the rest.',
      said,
    );
  }
  if (DNS.test(said)) {
    const name = c.host.replace(/:\d+$/, '');
    return new PublishError(
      'unreachable',
      `Cannot reach the registry ${c.host}: the name '${name}' does not resolve (DNS lookup failed). Check the host in pyml.registry. Docker said: ${quoted}`,
      said,
    );
  }
  if (REFUSED.test(said)) {
    return new PublishError(
      'unreachable',
      `Cannot reach the registry ${c.host}: nothing accepts connections there (connection refused). Is the registry running, and is the port in pyml.registry right? Docker said: ${quoted}`,
      said,
    );
  }
  if (HTTP_TO_HTTPS.test(said)) {
    return new PublishError(
      'unreachable',
      `The registry ${c.host} speaks plain HTTP, and Docker only uses HTTPS for it: serve it with TLS, or add it to "insecure-registries" in dockerd's daemon.json (127.0.0.0/8 is allowed by default). Docker said: ${quoted}`,
      said,
    );
  }
  if (CERT.test(said)) {
    return new PublishError(
      'unreachable',
      `The registry ${c.host} presented a TLS certificate Docker does not trust: add its CA under /etc/docker/certs.d/${c.host}/ca.crt on the Docker host. Docker said: ${quoted}`,
      said,
    );
  }
  if (TIMEOUT.test(said)) {
    return new PublishError(
      'unreachable',
      `Cannot reach the registry ${c.host}: it did not answer in time (${said}). Check the host in pyml.registry and the network between Docker and it.`,
      said,
    );
  }
  return new PublishError('refused', `The registry ${c.host} refused the push of ${c.reference}: ${quoted}`, said);
}
