// Headers for BigLake's Iceberg REST catalog: a Google OAuth2 access token (Application Default
// Credentials, cloud-platform scope) and the project billed for the calls. The token is asked for on
// every call; google-auth-library caches it and refreshes it before it expires.

import { GoogleAuth } from 'google-auth-library';
import type { HeaderProvider } from './rest-catalog.js';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

export interface GoogleAuthHeadersOptions {
  /** Sent as x-goog-user-project (quota and billing); omit to let the credentials' project apply. */
  userProject?: string;
  /** A ready GoogleAuth (tests, impersonation); otherwise ADC with the cloud-platform scope. */
  auth?: GoogleAuth;
}

export function googleAuthHeaders(options: GoogleAuthHeadersOptions = {}): HeaderProvider {
  const auth = options.auth ?? new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE] });
  return async () => {
    const token = await auth.getAccessToken();
    if (!token) throw new Error('Application Default Credentials returned no access token');
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (options.userProject) headers['x-goog-user-project'] = options.userProject;
    return headers;
  };
}
