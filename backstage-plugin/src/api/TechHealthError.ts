/**
 * An error answer of the tech-health service. `message` is the service's own explanation
 * (`{"error": {"code", "message", "details"}}`), so panels can show it as is.
 */
export class TechHealthError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(
    message: string,
    status: number,
    code: string,
    details?: unknown,
  ) {
    super(message);
    this.name = 'TechHealthError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** Reads the error body of a failed response; falls back to the HTTP status line. */
  static async fromResponse(response: Response): Promise<TechHealthError> {
    const statusLine = `${response.status} ${response.statusText}`.trim();
    let text = '';
    try {
      text = await response.text();
    } catch {
      // The body could not be read: the status line is all we have.
    }
    try {
      const body = JSON.parse(text);
      const error = body?.error;
      if (error && typeof error.message === 'string') {
        return new TechHealthError(
          error.message,
          response.status,
          typeof error.code === 'string' ? error.code : 'unknown',
          error.details,
        );
      }
    } catch {
      // Not JSON (a proxy's HTML error page, for one): fall through.
    }
    return new TechHealthError(
      `tech-health request failed: ${statusLine}`,
      response.status,
      'http',
      text ? text.slice(0, 500) : undefined,
    );
  }
}
