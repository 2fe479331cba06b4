import { Component, type ReactNode } from 'react';

interface Props {
  children: ReactNode;
  /** changing it (e.g. the page) clears a caught error */
  resetKey?: string;
}
interface State {
  error: Error | null;
  resetKey?: string;
}

/** A crash in one page shows what happened and leaves the rest of the app usable. */
export class ErrorBoundary extends Component<Props, State> {
  override state: State = { error: null, resetKey: this.props.resetKey };

  static getDerivedStateFromError(error: Error): Partial<State> {
    return { error };
  }

  static getDerivedStateFromProps(props: Props, state: State): Partial<State> | null {
    return props.resetKey !== state.resetKey ? { error: null, resetKey: props.resetKey } : null;
  }

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <div className="panel error-panel" role="alert">
        <h2>Something went wrong on this page</h2>
        <p>{error.message}</p>
        <details>
          <summary>Technical details</summary>
          <pre>{error.stack}</pre>
        </details>
        <button type="button" onClick={() => this.setState({ error: null })}>
          Try again
        </button>
      </div>
    );
  }
}
