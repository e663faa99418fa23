package local

import (
	"github.com/cogwatch/cogwatch/local/cognitolocal"
)

// CognitoLocalEnv names the variable that, when set, is the path of the
// cognito-local executable (instead of local/node_modules/.bin/cognito-local).
const CognitoLocalEnv = cognitolocal.Env

// CognitoLocalPath returns where cognito-local is: explicit if not empty,
// else $COGWATCH_COGNITO_LOCAL, else local/node_modules/.bin/cognito-local in
// the module that holds the working directory.
func CognitoLocalPath(explicit string) (string, error) { return cognitolocal.Path(explicit) }

// GroupAlive reports whether any process of the process group pgid lives.
func GroupAlive(pgid int) bool { return cognitolocal.GroupAlive(pgid) }
