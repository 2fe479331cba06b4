/** A text field for a file path on the backend machine: monospace, no spell-check or autofill. */
export function PathInput({
  value,
  onChange,
  placeholder,
  label,
  className = '',
  id,
}: {
  value: string;
  onChange: (value: string) => void;
  placeholder: string;
  label: string;
  className?: string;
  id?: string;
}) {
  return (
    <input
      id={id}
      className={`input mono ${className}`.trim()}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      placeholder={placeholder}
      aria-label={label}
      spellCheck={false}
      autoComplete="off"
    />
  );
}
