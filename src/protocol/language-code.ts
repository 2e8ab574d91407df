// LanguageCode names and their byte in the ROCKETMQ binary header (remoting/protocol/LanguageCode.java).
export const LANGUAGE_BY_CODE: readonly string[] = [
  'JAVA', 'CPP', 'DOTNET', 'PYTHON', 'DELPHI', 'ERLANG', 'RUBY', 'OTHER', 'HTTP', 'GO', 'PHP', 'OMS', 'RUST', 'NODE_JS',
];

const CODE_BY_LANGUAGE = new Map(LANGUAGE_BY_CODE.map((name, i) => [name, i]));

export function languageToByte(name: string): number {
  return CODE_BY_LANGUAGE.get(name) ?? CODE_BY_LANGUAGE.get('OTHER')!;
}

export function byteToLanguage(code: number): string {
  return LANGUAGE_BY_CODE[code] ?? 'OTHER';
}
