// "Set Credentials…, then do this": the Set Credentials dialog opened for some computers, and what
// follows once the admin chose or entered a credential (rebind those targets, run the action again).
import { useState, type ReactNode } from 'react';
import type { Credential } from '../../main/ipc/contract';
import { SetCredentialsDialog } from './SetCredentialsDialog';

export interface CredentialsPrompt {
  /** Who the credential is for, after "For …" in the dialog. */
  readonly scope: string;
  readonly then: (credential: Credential) => void | Promise<void>;
  readonly title?: string;
}

/** The dialog to render (null when closed) and the function that opens it. */
export function useCredentialsPrompt(): [ReactNode, (prompt: CredentialsPrompt) => void] {
  const [prompt, setPrompt] = useState<CredentialsPrompt | null>(null);
  const element = prompt ? (
    <SetCredentialsDialog
      title={prompt.title ?? 'Set Credentials'}
      scope={prompt.scope}
      onClose={() => setPrompt(null)}
      onSet={(credential) => {
        setPrompt(null);
        void prompt.then(credential);
      }}
    />
  ) : null;
  return [element, setPrompt];
}
